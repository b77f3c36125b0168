import { pathTo } from '../../shared/http/routes';
import type { CommandDefinition } from '../args';
import { label, printJson } from '../describe';
import { environmentViewSchema, getEnvironment, parseReply, resolveEnvironmentId } from '../environment-view';
import { EXIT, usageError } from '../exit-codes';
import { followIfAsked, TEAM_OPTION, WAIT_OPTIONS } from './follow';

export const deleteCommand: CommandDefinition = {
  name: 'delete',
  summary: 'Tear an environment down (every resource it owns, found by record and by tag).',
  usage: 'delete <id|name> [--team <team>] [--yes] [--wait]',
  arguments: [{ name: 'id|name', description: 'an environment id (env-…) or its name' }],
  options: {
    ...TEAM_OPTION,
    yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation on a terminal' },
    ...WAIT_OPTIONS,
  },
  examples: [
    'berth delete env-01jd5y8q7n3w0s2k4m6p8r0t2v --wait',
    'berth delete shop-dev --team payments --yes',
  ],
  async run(context, input) {
    const [reference = ''] = input.positionals;
    const id = await resolveEnvironmentId(context.client, reference, input.options.string('team'));
    if (!input.options.flag('yes')) {
      // Only a person at a terminal is asked; scripts (no TTY) are taken at their word.
      const { environment } = await getEnvironment(context.client, id, context.signal);
      const answer = await context.confirm(
        `Delete ${label(environment)} of team ${environment.team} and every resource it owns?`,
      );
      if (answer === false) throw usageError('Not deleted.');
    }
    const reply = await context.client.request('DELETE', pathTo('deleteEnvironment', { id }), {
      signal: context.signal,
    });
    const environment = parseReply(environmentViewSchema, reply.body, 'the environment');
    const followed = await followIfAsked(context, input, environment, 'DELETED');
    if (followed !== undefined) return followed;
    if (context.json) printJson(context.stdout, reply.body);
    else {
      context.stdout.write(
        `Teardown accepted: ${label(environment)} is ${environment.status}\n` +
          `Follow it with: berth status ${environment.id} --wait\n`,
      );
    }
    return EXIT.ok;
  },
};
