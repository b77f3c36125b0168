/**
 * A team policy in words, one rule a line: what `berth policy get` prints and Slack's `/berth policy`
 * answers. Apart from the schema (types only here), so the Slack messages bundle no policy schema.
 */
import type { TeamPolicy } from './team-policy';

const listed = (values: readonly string[], none = 'none') => (values.length === 0 ? none : values.join(', '));

/** The policy in force, the team's own rules marked. */
export function describeTeamPolicy(view: { team: string; policy: TeamPolicy; overrides: object }): string[] {
  const { policy, team } = view;
  const own = Object.keys(view.overrides);
  const mark = (rule: string) => (own.includes(rule) ? ' (team’s own)' : '');
  const { tasks, ec2, secretPrefixes } = policy;
  const zones = policy.hostedZones.map(
    (zone) => `${zone.hostedZoneId} (${zone.recordNameSuffixes.join(', ')})`,
  );
  return [
    `Policy of team ${team}${own.length === 0 ? ' (the default)' : ''}:`,
    `  hosted zones${mark('hostedZones')}: ${listed(zones)}`,
    `  certificates${mark('certificates')}: ${listed(policy.certificates)}`,
    `  images${mark('imagePrefixes')}: ${listed(policy.imagePrefixes)}`,
    `  secrets${mark('secretPrefixes')}: Secrets Manager ${listed(secretPrefixes.secretsManager)}; SSM ${listed(secretPrefixes.ssmParameters)}`,
    `  task role resources${mark('taskRoleResources')}: ${listed(policy.taskRoleResources)}`,
    `  task role actions${mark('taskRoleActions')}: ${listed(policy.taskRoleActions)}`,
    `  EC2${mark('ec2')}: instance types ${listed(ec2.instanceTypes)}; AMIs ${listed(ec2.amiIds, 'the ECS-optimised one only')}; key pairs ${listed(ec2.keyPairs)}`,
    `  tasks${mark('tasks')}: cpu ≤ ${tasks.maxCpu}, memory ≤ ${tasks.maxMemory} MiB, desiredCount ≤ ${tasks.maxDesiredCount}, services ≤ ${tasks.maxServices}, jobs ≤ ${tasks.maxJobs}`,
    `  ingress${mark('allowedIngressCidrs')}: ${listed(policy.allowedIngressCidrs)}`,
  ];
}
