import { z } from 'zod';
import { describeTeamPolicy } from '../../shared/domain/team-policy-description';
import { pathTo } from '../../shared/http/routes';
import type { CommandDefinition } from '../args';
import { printJson } from '../describe';
import { readDocument } from '../documents';
import { parseReply } from '../environment-view';
import { EXIT, usageError } from '../exit-codes';

const names = z.array(z.string());
/** What the CLI reads of `GET /teams/{team}/policy` (shared/domain/team-policy.ts has the full schema). */
const teamPolicyViewSchema = z.object({
  team: z.string(),
  overrides: z.record(z.string(), z.unknown()),
  policy: z.object({
    hostedZones: z.array(z.object({ hostedZoneId: z.string(), recordNameSuffixes: names })),
    certificates: names,
    imagePrefixes: names,
    secretPrefixes: z.object({ secretsManager: names, ssmParameters: names }),
    taskRoleResources: names,
    taskRoleActions: names,
    ec2: z.object({ instanceTypes: names, amiIds: names, keyPairs: names }),
    tasks: z.object({
      maxCpu: z.number(),
      maxMemory: z.number(),
      maxDesiredCount: z.number(),
      maxServices: z.number(),
      maxJobs: z.number(),
    }),
    allowedIngressCidrs: names,
  }),
});

export const policyCommand: CommandDefinition = {
  name: 'policy',
  summary: "Show a team's policy (what it may ask for), or replace its own rules (admins).",
  usage: 'policy get <team> | policy set <team> -f <policy>',
  arguments: [
    { name: 'get|set', description: 'get shows the policy in force; set replaces the team’s own rules' },
    { name: 'team', description: 'the team' },
  ],
  options: {
    file: {
      type: 'string',
      short: 'f',
      valueName: '<file>',
      description: 'set: the policy rules, .json, .yml, .yaml, or - for stdin ({} returns to the default)',
    },
  },
  examples: ['berth policy get payments', 'berth policy set payments -f payments-policy.json'],
  async run(context, input) {
    const [action = '', team = ''] = input.positionals;
    const file = input.options.string('file');
    if (action !== 'get' && action !== 'set') {
      throw usageError(
        `Unknown action "${action}": use "berth policy get <team>" or "berth policy set <team> -f <file>"`,
      );
    }
    if (action === 'get' && file !== undefined) throw usageError('berth policy get takes no -f');
    if (action === 'set' && file === undefined)
      throw usageError('Missing -f <file>: the policy rules to set');
    const reply =
      action === 'set'
        ? await context.client.request('PUT', pathTo('putTeamPolicy', { team }), {
            body: await readDocument(file ?? '', context.readText),
            signal: context.signal,
          })
        : await context.client.request('GET', pathTo('getTeamPolicy', { team }), { signal: context.signal });
    if (context.json) printJson(context.stdout, reply.body);
    else
      context.stdout.write(
        `${describeTeamPolicy(parseReply(teamPolicyViewSchema, reply.body, 'the team policy')).join('\n')}\n`,
      );
    return EXIT.ok;
  },
};
