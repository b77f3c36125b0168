/**
 * `berth run-task`: starts one-off ECS tasks through POST /environments/{id}/tasks
 * (`{ service | job, command?, count? }` → 202 `{ tasks: [{ taskArn, group, lastStatus… }] }`).
 */
import { z } from 'zod';
import { pathTo } from '../../shared/http/routes';
import type { CommandDefinition } from '../args';
import { printJson } from '../describe';
import { parseReply, resolveEnvironmentId } from '../environment-view';
import { EXIT, usageError } from '../exit-codes';
import { renderTable } from '../table';
import { TEAM_OPTION } from './follow';

/** ECS RunTask starts at most 10 tasks per call. */
const MAX_COUNT = 10;

/**
 * Splits a command line into words the way a POSIX shell would for plain words, '…' and "…"
 * (no variables or globbing: the words go to ECS as they are).
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < line.length; index += 1) {
    const character = line.charAt(index);
    if (quote !== undefined) {
      if (character === quote) quote = undefined;
      else if (character === '\\' && quote === '"' && index + 1 < line.length) {
        index += 1;
        current += line.charAt(index);
      } else current += character;
    } else if (character === '"' || character === "'") {
      quote = character;
      inWord = true;
    } else if (character === '\\' && index + 1 < line.length) {
      index += 1;
      current += line.charAt(index);
      inWord = true;
    } else if (/\s/.test(character)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += character;
      inWord = true;
    }
  }
  if (quote !== undefined) throw usageError(`--command has an unclosed ${quote} quote`);
  if (inWord) words.push(current);
  return words;
}

const startedTasksSchema = z.object({
  tasks: z.array(
    z.looseObject({ taskArn: z.string(), group: z.string().optional(), lastStatus: z.string().optional() }),
  ),
});

export const runTaskCommand: CommandDefinition = {
  name: 'run-task',
  summary: "Start one-off tasks from a service's or a job's task definition.",
  usage:
    'run-task <id|name> (--service <name> | --job <name>) [--command "<line>" | -- <words…>] [--count <n>]',
  arguments: [{ name: 'id|name', description: 'an environment id (env-…) or its name' }],
  options: {
    service: { type: 'string', valueName: '<name>', description: 'run the task definition of this service' },
    job: { type: 'string', valueName: '<name>', description: 'run this job now' },
    command: {
      type: 'string',
      valueName: '<line>',
      description: "override the container's command (split like a shell)",
    },
    count: { type: 'string', valueName: '<n>', description: `how many tasks, 1–${MAX_COUNT} (default 1)` },
    'idempotency-key': {
      type: 'string',
      valueName: '<key>',
      description: 'retrying with the same key returns the tasks of the first call instead of starting more',
    },
    ...TEAM_OPTION,
  },
  acceptsRest: true,
  examples: [
    'berth run-task env-01jd5y8q7n3w0s2k4m6p8r0t2v --service api --command "node dist/migrate.js --dry-run"',
    'berth run-task shop-dev --service api -- node dist/migrate.js --dry-run',
    'berth run-task shop-dev --job nightly-report',
  ],
  async run(context, input) {
    const service = input.options.string('service');
    const job = input.options.string('job');
    if ((service === undefined) === (job === undefined))
      throw usageError('Pass exactly one of --service or --job');
    const line = input.options.string('command');
    if (line !== undefined && input.rest.length > 0) {
      throw usageError('Give the command either with --command or after "--", not both');
    }
    const command = line !== undefined ? splitCommandLine(line) : input.rest;
    if (line !== undefined && command.length === 0) throw usageError('--command is empty');
    const count = input.options.integer('count', { min: 1, max: MAX_COUNT });

    const [reference = ''] = input.positionals;
    const id = await resolveEnvironmentId(context.client, reference, input.options.string('team'));
    const idempotencyKey = input.options.string('idempotency-key');
    const reply = await context.client.request('POST', pathTo('runTask', { id }), {
      ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}),
      body: {
        ...(service !== undefined ? { service } : {}),
        ...(job !== undefined ? { job } : {}),
        ...(command.length > 0 ? { command } : {}),
        ...(count !== undefined ? { count } : {}),
      },
      signal: context.signal,
    });
    if (context.json) printJson(context.stdout, reply.body);
    else {
      const { tasks } = parseReply(startedTasksSchema, reply.body, 'the started tasks');
      const rows = tasks.map((task) => [task.taskArn, task.group ?? '', task.lastStatus ?? '']);
      context.stdout.write(
        `Started ${tasks.length} task(s) in ${id}:\n${renderTable(['TASK', 'GROUP', 'STATUS'], rows)}\n`,
      );
    }
    return EXIT.ok;
  },
};
