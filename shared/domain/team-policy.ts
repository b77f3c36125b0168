/**
 * Team policies: what an admin lets a team ask for in an account every team shares — the hosted zones
 * and record names it may write, the certificates its load balancer may serve, the images it may run,
 * the secrets its tasks may read, what the task roles berth creates for it may be granted, the EC2
 * instance types, AMIs and key pairs, the largest tasks and counts, and who may reach its load
 * balancer. A deploy-wide default (TEAM_POLICY_DEFAULTS over the built-in one) applies to a team
 * without its own; an admin's policy replaces the default field by field. Pure: `policyProblems`
 * names each field of a spec the policy refuses, with the rule that refused it.
 */
import { cidrContains, InvalidCidrError, parseCidr } from './cidr';
import type { EnvironmentSpec } from './spec';
import { matchesArnPattern } from './task-roles';
import { wildcardToRegExp } from './wildcard';
import * as z from './zod';

/** Stands for the team's name in a secret prefix of the default policy (`berth/{team}/`). */
export const TEAM_PLACEHOLDER = '{team}';
/** An image prefix or instance-type pattern that allows everything. */
export const ANY = '*';

const HOSTED_ZONE_ID = /^[A-Z0-9]{1,32}$/;
const DOMAIN_SUFFIX =
  /^\.?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const INSTANCE_TYPE_PATTERN = /^[a-z0-9.*?-]{1,64}$/;
// An ARN pattern: `arn:` and five more colon-separated parts, IAM's wildcards anywhere.
const ARN_PATTERN = /^arn:[^:\s]*:[^:\s]*:[^:\s]*:[^:\s]*:\S+$/;
const ACTION_PATTERN = /^(?:\*|[a-z0-9*?-]+:[A-Za-z0-9*?]+)$/;

const list = <T extends z.ZodMiniType>(item: T, max: number) => z.array(item).check(z.maxLength(max));
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

const hostedZoneGrantSchema = z.strictObject({
  hostedZoneId: z
    .string()
    .check(z.regex(HOSTED_ZONE_ID, { error: 'must be a Route 53 hosted zone id such as Z0123456789ABC' })),
  recordNameSuffixes: z.meta(
    z
      .array(z.string().check(z.maxLength(253), z.regex(DOMAIN_SUFFIX, { error: 'must be a domain name' })))
      .check(z.minLength(1), z.maxLength(50)),
    {
      description:
        'Record names allowed in the zone: the suffix itself or any name ending in "." + suffix (payments.example.com allows shop.payments.example.com).',
    },
  ),
});

const arnPatterns = (max: number) =>
  list(
    z.string().check(
      z.maxLength(2048),
      z.regex(ARN_PATTERN, {
        error: 'must be an ARN pattern such as arn:aws:sqs:*:*:payments-* (wildcards * and ?)',
      }),
    ),
    max,
  );

const maximum = (description: string, max: number) =>
  z.meta(z.int().check(z.minimum(0), z.maximum(max)), { description });

/** A whole policy: every rule present. */
export const teamPolicySchema = z.strictObject({
  hostedZones: z.meta(list(hostedZoneGrantSchema, 50), {
    description: 'The Route 53 hosted zones the team may write its dns record in; none by default.',
  }),
  certificates: z.meta(arnPatterns(50), {
    description:
      'ACM certificate ARNs (wildcards * and ?) the team may put on its load balancer (loadBalancer.certificateArn); none by default.',
  }),
  imagePrefixes: z.meta(list(text(512), 100), {
    description:
      'Images the team may run: each is a prefix of the full image reference (nginx:1.27 is docker.io/library/nginx:1.27); "*" allows any image.',
  }),
  secretPrefixes: z.meta(
    z.strictObject({
      secretsManager: z.meta(list(text(512), 50), {
        description: 'Secrets Manager secret name prefixes; {team} stands for the team.',
      }),
      ssmParameters: z.meta(list(text(2048), 50), {
        description: 'SSM parameter name prefixes (with the leading /); {team} stands for the team.',
      }),
    }),
    { description: 'What services may name in secrets.' },
  ),
  taskRoleResources: z.meta(arnPatterns(100), {
    description:
      "ARN patterns (wildcards * and ?; {team} stands for the team) the resources of services[].iam statements must match, as IAM matches a Resource; a statement's own wildcards must be covered too. By default the team's own names (<team>_… queues, topics, tables, streams, functions, state machines, buses; berth/<team>/ secrets and parameters); S3 buckets only as an admin grants them.",
  }),
  taskRoleActions: z.meta(
    list(
      z
        .string()
        .check(
          z.maxLength(128),
          z.regex(ACTION_PATTERN, { error: 'must be an IAM action pattern such as sqs:* or s3:Get*, or *' }),
        ),
      200,
    ),
    {
      description:
        'IAM action patterns (case-insensitive, wildcards * and ?) the actions of services[].iam statements must match. "*" by default: anything, within the permissions boundary every task role berth creates gets.',
    },
  ),
  ec2: z.strictObject({
    instanceTypes: z.meta(
      list(
        z.string().check(
          z.regex(INSTANCE_TYPE_PATTERN, {
            error: 'must be an instance type or a pattern such as t3.* (wildcards * and ?)',
          }),
        ),
        100,
      ),
      { description: 'Instance types, wildcards * and ? (t3.*); "*" allows every type berth knows.' },
    ),
    amiIds: z.meta(
      list(
        z.string().check(z.regex(AMI_ID, { error: 'must be an AMI id such as ami-0abcdef1234567890' })),
        100,
      ),
      { description: 'AMIs besides the ECS-optimised one (always allowed); none by default.' },
    ),
    keyPairs: z.meta(list(text(255), 100), {
      description: 'EC2 key pairs the team may name; none by default.',
    }),
  }),
  tasks: z.strictObject({
    maxCpu: maximum("Largest cpu units of a service's or job's task.", 196608),
    maxMemory: maximum("Largest memory (MiB) of a service's or job's task.", 1048576),
    maxDesiredCount: maximum('Largest desiredCount of one service.', 100),
    maxServices: maximum('Most services in one environment.', 10),
    maxJobs: maximum('Most jobs in one environment.', 20),
  }),
  allowedIngressCidrs: z.meta(
    list(z.string().check(z.refine(isCidr, { error: 'must be an IPv4 CIDR such as 203.0.113.0/24' })), 50),
    { description: "CIDRs the load balancer's allowedIngressCidrs must lie within." },
  ),
});
export type TeamPolicy = z.output<typeof teamPolicySchema>;

/** The body of `PUT /teams/{team}/policy`: a field left out follows the default; a field given replaces it whole. */
export const teamPolicyOverridesSchema = z.meta(z.partial(teamPolicySchema), {
  description:
    "The team's own rules; each field given replaces the default's whole, a field left out follows the default. {} returns the team to the default.",
});
export type TeamPolicyOverrides = z.output<typeof teamPolicyOverridesSchema>;

export const teamPolicyViewSchema = z.object({
  team: z.string(),
  policy: z.meta(teamPolicySchema, {
    description: 'The rules in force for the team: its own over the default, {team} replaced.',
  }),
  overrides: teamPolicyOverridesSchema,
});
export type TeamPolicyView = z.output<typeof teamPolicyViewSchema>;

/**
 * The resources a team's task roles may name by default: its own namespace, names starting with
 * `<team>_` in the services whose ARNs end in a plain name (or `type/name`), and its berth/<team>/
 * secrets and parameters. The separator is `_` because team names never hold one (lowercase letters,
 * digits and hyphens): with `<team>-`, team `pay` would reach `pay-ments-…`, team pay-ments' names.
 * Every service listed accepts `_` in its names; S3 bucket names do not (nor any character a team name
 * cannot hold but the dot, which AWS advises against), so buckets are granted by an admin. Each pattern
 * fixes the service and the resource type, so a `*` never spans into another team's name. No `*`
 * resource, no account's whole service (docs/aws-facts.md#task-roles-berth-creates-and-their-boundary).
 */
export const TEAM_RESOURCE_PATTERNS: readonly string[] = [
  `arn:*:sqs:*:*:${TEAM_PLACEHOLDER}_*`,
  `arn:*:sns:*:*:${TEAM_PLACEHOLDER}_*`,
  `arn:*:dynamodb:*:*:table/${TEAM_PLACEHOLDER}_*`,
  `arn:*:kinesis:*:*:stream/${TEAM_PLACEHOLDER}_*`,
  `arn:*:firehose:*:*:deliverystream/${TEAM_PLACEHOLDER}_*`,
  `arn:*:lambda:*:*:function:${TEAM_PLACEHOLDER}_*`,
  `arn:*:states:*:*:stateMachine:${TEAM_PLACEHOLDER}_*`,
  `arn:*:states:*:*:execution:${TEAM_PLACEHOLDER}_*`,
  `arn:*:events:*:*:event-bus/${TEAM_PLACEHOLDER}_*`,
  `arn:*:secretsmanager:*:*:secret:berth/${TEAM_PLACEHOLDER}/*`,
  `arn:*:ssm:*:*:parameter/berth/${TEAM_PLACEHOLDER}/*`,
];

/**
 * The built-in default: a new team is productive (any image, every instance type berth knows, tasks
 * up to what the spec accepts, any ingress) but writes no DNS record until an admin grants a zone,
 * reads secrets only under its own prefix, and runs only the ECS-optimised AMI without key pairs.
 */
export const BUILT_IN_TEAM_POLICY: TeamPolicy = {
  hostedZones: [],
  certificates: [],
  imagePrefixes: [ANY],
  secretPrefixes: {
    secretsManager: [`berth/${TEAM_PLACEHOLDER}/`],
    ssmParameters: [`/berth/${TEAM_PLACEHOLDER}/`],
  },
  taskRoleResources: [...TEAM_RESOURCE_PATTERNS],
  taskRoleActions: [ANY],
  ec2: { instanceTypes: [ANY], amiIds: [], keyPairs: [] },
  tasks: { maxCpu: 196608, maxMemory: 1048576, maxDesiredCount: 100, maxServices: 10, maxJobs: 20 },
  allowedIngressCidrs: ['0.0.0.0/0'],
};

function isCidr(cidr: string): boolean {
  try {
    parseCidr(cidr, { allowHostBits: true });
    return true;
  } catch (error) {
    if (error instanceof InvalidCidrError) return false;
    throw error;
  }
}

/**
 * The deploy-wide default from configuration (JSON such as `{"imagePrefixes":["123456789012.dkr.ecr."]}`);
 * a field left out keeps the built-in default. Throws on anything else, so a typo fails the deploy's first call.
 */
export function parseTeamPolicyDefaults(json: string | undefined): TeamPolicy {
  if (json === undefined || json.trim() === '') return BUILT_IN_TEAM_POLICY;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('TEAM_POLICY_DEFAULTS is not valid JSON');
  }
  const parsed = teamPolicyOverridesSchema.safeParse(value);
  if (!parsed.success) throw new Error(`TEAM_POLICY_DEFAULTS is invalid: ${parsed.error.message}`);
  return { ...BUILT_IN_TEAM_POLICY, ...parsed.data };
}

/** The rules in force for `team`: its overrides over the default, `{team}` replaced by its name. */
export function effectivePolicy(
  defaults: TeamPolicy,
  overrides: TeamPolicyOverrides,
  team: string,
): TeamPolicy {
  const policy = { ...defaults, ...overrides };
  const forTeam = (prefixes: string[]) => prefixes.map((prefix) => prefix.replaceAll(TEAM_PLACEHOLDER, team));
  return {
    ...policy,
    secretPrefixes: {
      secretsManager: forTeam(policy.secretPrefixes.secretsManager),
      ssmParameters: forTeam(policy.secretPrefixes.ssmParameters),
    },
    taskRoleResources: forTeam(policy.taskRoleResources),
  };
}

/** A field of a spec the team's policy refuses. */
export interface PolicyProblem {
  /** Where in the spec, as zod paths are (`['services', 0, 'image']`). */
  path: (string | number)[];
  /** The policy field that refused it (`imagePrefixes`, `ec2.keyPairs`). */
  rule: string;
  message: string;
}

/**
 * The full reference Docker resolves an image to: a first component without `.` or `:` (and not
 * `localhost`) is a Docker Hub path, and a Docker Hub image of one component is an official one.
 */
export function fullImageReference(image: string): string {
  const components = image.split('/');
  const first = components[0] ?? '';
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return image;
  }
  return components.length === 1 ? `docker.io/library/${image}` : `docker.io/${image}`;
}

const bareName = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** True when `recordName` is `suffix` or ends in `.` + `suffix` (case-insensitive, final dots ignored). */
export function isUnderSuffix(recordName: string, suffix: string): boolean {
  const name = bareName(recordName);
  const base = bareName(suffix).replace(/^\./, '');
  return name === base || name.endsWith(`.${base}`);
}

/** A secret's service and name from its ECS `valueFrom` ARN; SSM names carry their leading `/`. */
export function secretName(
  arn: string,
): { service: 'secretsManager' | 'ssmParameters'; name: string } | undefined {
  const secret = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:([^:]+)/.exec(arn);
  if (secret?.[1] !== undefined) return { service: 'secretsManager', name: secret[1] };
  const parameter = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter\/(.+)$/.exec(arn);
  if (parameter?.[1] !== undefined) return { service: 'ssmParameters', name: `/${parameter[1]}` };
  return undefined;
}

/**
 * True when a statement's `action` (itself possibly with wildcards) is covered by one of `patterns`:
 * IAM compares actions case-insensitively, and the action's own `*` must be covered by a pattern's
 * (`s3:Get*` is within `s3:*`, `s3:*` is not within `s3:Get*`).
 */
export function actionAllowed(action: string, patterns: readonly string[]): boolean {
  const lower = action.toLowerCase();
  return patterns.some((pattern) => wildcardToRegExp(pattern.toLowerCase()).test(lower));
}

const describe = (allowed: readonly string[]) => (allowed.length === 0 ? 'none' : allowed.join(', '));

/** Every field of `spec` that `policy` (already made effective for the team) refuses. */
export function policyProblems(
  spec: Pick<EnvironmentSpec, 'team' | 'network' | 'cluster' | 'loadBalancer' | 'services' | 'jobs' | 'dns'>,
  policy: TeamPolicy,
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const refuse = (path: (string | number)[], rule: string, message: string) =>
    problems.push({ path, rule, message: `${message} (team policy rule ${rule})` });
  const { team } = spec;

  if (spec.dns) {
    const grant = policy.hostedZones.find((zone) => zone.hostedZoneId === spec.dns?.hostedZoneId);
    if (!grant) {
      refuse(
        ['dns', 'hostedZoneId'],
        'hostedZones',
        `hosted zone ${spec.dns.hostedZoneId} is not granted to team ${team}; a berth admin grants zones with PUT /teams/${team}/policy`,
      );
    } else if (
      !grant.recordNameSuffixes.some((suffix) => isUnderSuffix(spec.dns?.recordName ?? '', suffix))
    ) {
      refuse(
        ['dns', 'recordName'],
        'hostedZones.recordNameSuffixes',
        `team ${team} may name records in ${grant.hostedZoneId} only under ${describe(grant.recordNameSuffixes)}`,
      );
    }
  }

  const { certificateArn } = spec.loadBalancer;
  if (
    certificateArn !== undefined &&
    !policy.certificates.some((pattern) => matchesArnPattern(certificateArn, pattern))
  ) {
    refuse(
      ['loadBalancer', 'certificateArn'],
      'certificates',
      `certificate ${certificateArn} is not granted to team ${team}; a berth admin grants certificates with PUT /teams/${team}/policy`,
    );
  }

  const imageAllowed = (image: string) =>
    policy.imagePrefixes.some((prefix) => prefix === ANY || fullImageReference(image).startsWith(prefix));
  const checkImage = (path: (string | number)[], image: string) => {
    if (!imageAllowed(image)) {
      refuse(
        path,
        'imagePrefixes',
        `image ${fullImageReference(image)} is not under one of team ${team}'s image prefixes: ${describe(policy.imagePrefixes)}`,
      );
    }
  };
  const checkSize = (path: (string | number)[], field: 'cpu' | 'memory', value: number | undefined) => {
    const rule = field === 'cpu' ? 'maxCpu' : 'maxMemory';
    const limit = policy.tasks[rule];
    if (value !== undefined && value > limit)
      refuse(
        [...path, field],
        `tasks.${rule}`,
        `${field} ${value} is over team ${team}'s maximum of ${limit}`,
      );
  };

  const checkCount = (field: 'services' | 'jobs', rule: 'maxServices' | 'maxJobs') => {
    const count = spec[field].length;
    const limit = policy.tasks[rule];
    if (count > limit) {
      refuse([field], `tasks.${rule}`, `${count} ${field} are more than team ${team}'s maximum of ${limit}`);
    }
  };

  checkCount('services', 'maxServices');
  spec.services.forEach((service, index) => {
    const at = ['services', index];
    checkImage([...at, 'image'], service.image);
    checkSize(at, 'cpu', service.cpu);
    checkSize(at, 'memory', service.memory);
    if (service.desiredCount > policy.tasks.maxDesiredCount) {
      refuse(
        [...at, 'desiredCount'],
        'tasks.maxDesiredCount',
        `desiredCount ${service.desiredCount} is over team ${team}'s maximum of ${policy.tasks.maxDesiredCount}`,
      );
    }
    for (const [variable, valueFrom] of Object.entries(service.secrets)) {
      const secret = secretName(valueFrom);
      const prefixes = secret ? policy.secretPrefixes[secret.service] : [];
      if (secret && prefixes.some((prefix) => secret.name.startsWith(prefix))) continue;
      const kind = secret?.service === 'ssmParameters' ? 'SSM parameter' : 'secret';
      refuse(
        [...at, 'secrets', variable],
        `secretPrefixes.${secret?.service ?? 'secretsManager'}`,
        `${kind} ${secret?.name ?? valueFrom} is not under one of team ${team}'s prefixes: ${describe(prefixes)}`,
      );
    }
    service.iam?.statements.forEach((statement, j) => {
      const where = [...at, 'iam', 'statements', j];
      statement.actions.forEach((action, k) => {
        if (!actionAllowed(action, policy.taskRoleActions)) {
          refuse(
            [...where, 'actions', k],
            'taskRoleActions',
            `action ${action} is not one team ${team}'s task roles may be granted: ${describe(policy.taskRoleActions)}`,
          );
        }
      });
      statement.resources.forEach((resource, k) => {
        if (!policy.taskRoleResources.some((pattern) => matchesArnPattern(resource, pattern))) {
          refuse(
            [...where, 'resources', k],
            'taskRoleResources',
            `resource ${resource} is not one team ${team}'s task roles may name: ${describe(policy.taskRoleResources)}`,
          );
        }
      });
    });
  });

  checkCount('jobs', 'maxJobs');
  spec.jobs.forEach((job, index) => {
    const at = ['jobs', index];
    if (job.image !== undefined) checkImage([...at, 'image'], job.image);
    checkSize(at, 'cpu', job.cpu);
    checkSize(at, 'memory', job.memory);
  });

  const { ec2 } = spec.cluster;
  if (ec2) {
    const at = ['cluster', 'ec2'];
    if (!policy.ec2.instanceTypes.some((pattern) => wildcardToRegExp(pattern).test(ec2.instanceType))) {
      refuse(
        [...at, 'instanceType'],
        'ec2.instanceTypes',
        `instance type ${ec2.instanceType} is not one team ${team} may use: ${describe(policy.ec2.instanceTypes)}`,
      );
    }
    if (ec2.amiId !== undefined && !policy.ec2.amiIds.includes(ec2.amiId)) {
      refuse(
        [...at, 'amiId'],
        'ec2.amiIds',
        `AMI ${ec2.amiId} is not granted to team ${team}; leave amiId out for the ECS-optimised AMI`,
      );
    }
    if (ec2.keyPair !== undefined && !policy.ec2.keyPairs.includes(ec2.keyPair)) {
      refuse([...at, 'keyPair'], 'ec2.keyPairs', `key pair ${ec2.keyPair} is not granted to team ${team}`);
    }
  }

  const allowedCidrs = policy.allowedIngressCidrs.map((cidr) => parseCidr(cidr, { allowHostBits: true }));
  spec.network.allowedIngressCidrs.forEach((cidr, index) => {
    const parsed = parseCidr(cidr, { allowHostBits: true });
    if (!allowedCidrs.some((allowed) => cidrContains(allowed, parsed))) {
      refuse(
        ['network', 'allowedIngressCidrs', index],
        'allowedIngressCidrs',
        `${cidr} is not within team ${team}'s allowed ingress: ${describe(policy.allowedIngressCidrs)}`,
      );
    }
  });
  return problems;
}
