import { z } from 'zod';
import { pathTo } from '../../shared/http/routes';
import type { CommandDefinition } from '../args';
import { printJson } from '../describe';
import { type EventView, eventViewSchema, parseReply, resolveEnvironmentId } from '../environment-view';
import { EXIT } from '../exit-codes';
import { renderTable } from '../table';
import { TEAM_OPTION } from './follow';

const eventPageSchema = z.object({ items: z.array(z.unknown()), nextCursor: z.string().optional() });

export const EVENT_HEADERS = ['AT', 'TYPE', 'STATUS', 'STEP', 'MESSAGE'] as const;

export function eventRow(event: EventView): string[] {
  return [event.at, event.type, event.status ?? '', event.step ?? '', event.message ?? ''];
}

export const eventsCommand: CommandDefinition = {
  name: 'events',
  summary: "An environment's history: requests, status changes, steps started, finished and failed.",
  usage: 'events <id|name> [--team <team>]',
  arguments: [{ name: 'id|name', description: 'an environment id (env-…) or its name' }],
  options: { ...TEAM_OPTION },
  examples: ['berth events env-01jd5y8q7n3w0s2k4m6p8r0t2v', 'berth events shop-dev --json'],
  async run(context, input) {
    const [reference = ''] = input.positionals;
    const id = await resolveEnvironmentId(context.client, reference, input.options.string('team'));
    const raw: unknown[] = [];
    let cursor: string | undefined;
    do {
      const reply = await context.client.request('GET', pathTo('listEvents', { id }), {
        query: { limit: '100', cursor },
        signal: context.signal,
      });
      const page = parseReply(eventPageSchema, reply.body, 'the events');
      raw.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);

    if (context.json) printJson(context.stdout, { items: raw });
    else if (raw.length === 0) context.stdout.write('No events.\n');
    else {
      const events = raw.map((item) => parseReply(eventViewSchema, item, 'an event'));
      context.stdout.write(`${renderTable(EVENT_HEADERS, events.map(eventRow))}\n`);
    }
    return EXIT.ok;
  },
};
