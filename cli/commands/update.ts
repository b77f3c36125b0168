import { pathTo } from '../../shared/http/routes';
import type { CommandDefinition } from '../args';
import { ApiError } from '../client';
import { label, printJson } from '../describe';
import { readDocument } from '../documents';
import { environmentViewSchema, getEnvironment, parseReply, resolveEnvironmentId } from '../environment-view';
import { CliError, EXIT, usageError } from '../exit-codes';
import { followIfAsked, TEAM_OPTION, WAIT_OPTIONS } from './follow';

export const updateCommand: CommandDefinition = {
  name: 'update',
  summary: 'Change an environment with a JSON Merge Patch file (YAML or JSON; arrays replace whole).',
  usage: 'update <id|name> -f <patch> [--team <team>] [--wait]',
  arguments: [{ name: 'id|name', description: 'an environment id (env-…) or its name' }],
  options: {
    file: {
      type: 'string',
      short: 'f',
      valueName: '<file>',
      description: 'the merge patch: .yml, .yaml, .json, or - for stdin',
    },
    ...TEAM_OPTION,
    ...WAIT_OPTIONS,
  },
  examples: ['berth update env-01jd5y8q7n3w0s2k4m6p8r0t2v -f scale-up.yml --wait'],
  async run(context, input) {
    const file = input.options.string('file');
    if (file === undefined) throw usageError('Missing -f <file>: the merge patch to apply');
    const patch = await readDocument(file, context.readText);
    const [reference = ''] = input.positionals;
    const id = await resolveEnvironmentId(context.client, reference, input.options.string('team'));

    // The ETag of this read guards the PATCH: a change by someone else in between answers 412.
    const { environment: current, etag } = await getEnvironment(context.client, id, context.signal);
    const reply = await context.client
      .request('PATCH', pathTo('updateEnvironment', { id }), {
        body: patch,
        contentType: 'application/merge-patch+json',
        headers: { 'if-match': etag ?? `"${current.version}"` },
        signal: context.signal,
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 412) {
          throw new CliError(EXIT.rejected, [
            `${label(current)} was changed by someone else after it was read (version ${current.version}).`,
            `Check the change with "berth status ${id}", then run the update again.`,
          ]);
        }
        throw error;
      });
    const environment = parseReply(environmentViewSchema, reply.body, 'the updated environment');
    const followed = await followIfAsked(context, input, environment, 'READY');
    if (followed !== undefined) return followed;
    if (context.json) printJson(context.stdout, reply.body);
    else {
      context.stdout.write(
        `Update accepted: ${label(environment)} is ${environment.status} (version ${environment.version})\n` +
          `Follow it with: berth status ${environment.id} --wait\n`,
      );
    }
    return EXIT.ok;
  },
};
