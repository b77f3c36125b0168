import type { CommandDefinition } from '../args';
import { describeEnvironment, printJson } from '../describe';
import { getEnvironment, resolveEnvironmentId } from '../environment-view';
import { EXIT } from '../exit-codes';
import { followIfAsked, TEAM_OPTION, WAIT_OPTIONS } from './follow';

export const statusCommand: CommandDefinition = {
  name: 'status',
  summary: 'Show an environment: status, progress, outputs and the last error.',
  usage: 'status <id|name> [--team <team>] [--wait]',
  arguments: [{ name: 'id|name', description: 'an environment id (env-…) or its name' }],
  options: { ...TEAM_OPTION, ...WAIT_OPTIONS },
  examples: ['berth status env-01jd5y8q7n3w0s2k4m6p8r0t2v', 'berth status shop-dev --team payments --wait'],
  async run(context, input) {
    const [reference = ''] = input.positionals;
    const id = await resolveEnvironmentId(context.client, reference, input.options.string('team'));
    const { environment, body } = await getEnvironment(context.client, id, context.signal);
    const followed = await followIfAsked(context, input, environment, 'any');
    if (followed !== undefined) return followed;
    if (context.json) printJson(context.stdout, body);
    else context.stdout.write(`${describeEnvironment(environment).join('\n')}\n`);
    return EXIT.ok;
  },
};
