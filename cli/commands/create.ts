import { pathTo } from '../../shared/http/routes';
import type { CommandDefinition } from '../args';
import { label, printJson } from '../describe';
import { readDocument } from '../documents';
import { environmentViewSchema, parseReply } from '../environment-view';
import { EXIT, usageError } from '../exit-codes';
import { followIfAsked, WAIT_OPTIONS } from './follow';

export const createCommand: CommandDefinition = {
  name: 'create',
  summary: 'Request a new environment from a spec file (YAML or JSON).',
  usage: 'create -f <file> [--dry-run] [--idempotency-key <key>] [--wait]',
  arguments: [],
  options: {
    file: {
      type: 'string',
      short: 'f',
      valueName: '<file>',
      description: 'the environment request: .yml, .yaml, .json, or - for stdin',
    },
    'dry-run': {
      type: 'boolean',
      description: 'validate and print the spec with every default applied; create nothing',
    },
    'idempotency-key': {
      type: 'string',
      valueName: '<key>',
      description:
        'retrying with the same key and file returns the first result instead of a second environment',
    },
    ...WAIT_OPTIONS,
  },
  examples: [
    'berth create -f env.yml --wait',
    'berth create -f env.json --dry-run',
    'berth create -f env.yml --idempotency-key OPS-1234 --json',
  ],
  async run(context, input) {
    const file = input.options.string('file');
    if (file === undefined) throw usageError('Missing -f <file>: the environment request to send');
    const request = await readDocument(file, context.readText);
    const idempotencyKey = input.options.string('idempotency-key');
    const dryRun = input.options.flag('dry-run');
    if (dryRun && input.options.flag('wait'))
      throw usageError('--dry-run creates nothing, so there is nothing to --wait for');

    const reply = await context.client.request('POST', pathTo('createEnvironment', {}), {
      body: request,
      ...(dryRun ? { query: { dryRun: 'true' } } : {}),
      ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}),
      signal: context.signal,
    });
    if (dryRun) {
      if (context.json) printJson(context.stdout, reply.body);
      else {
        context.stdout.write(`✔ ${file} is a valid request. With defaults applied:\n`);
        printJson(context.stdout, reply.body);
      }
      return EXIT.ok;
    }
    const environment = parseReply(environmentViewSchema, reply.body, 'the new environment');
    const followed = await followIfAsked(context, input, environment, 'READY');
    if (followed !== undefined) return followed;
    if (context.json) printJson(context.stdout, reply.body);
    else {
      context.stdout.write(
        `Requested ${label(environment)} for team ${environment.team}: ${environment.status}\n` +
          `Follow it with: berth status ${environment.id} --wait\n`,
      );
    }
    return EXIT.ok;
  },
};
