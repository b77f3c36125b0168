/**
 * Names and tags of everything berth creates. One place, so that a step, the teardown and the
 * inventory all agree on what an environment's resources are called and how they are found.
 *
 * AWS limits that shape these names: ALB and target-group names ≤ 32 characters, alphanumerics and
 * hyphens, not starting or ending with a hyphen, and an ALB's not starting with `internal-`; every
 * derived name is checked against AWS's rules at request time (`derivedNameProblems`). Environment
 * names are unique per team only, so names that must be unique per account and Region carry
 * `envKey`, a piece of the environment id.
 */

/** Tag keys set on every resource at creation. */
export const TAG_ENVIRONMENT = 'berth:environment';
export const TAG_TEAM = 'berth:team';
export const TAG_MANAGED_BY = 'berth:managed-by';
export const MANAGED_BY = 'berth';

export const ENVIRONMENT_NAME_MAX = 20;
export const SERVICE_NAME_MAX = 20;
export const TEAM_NAME_MAX = 32;
/** A lowercase DNS label: letters, digits and inner hyphens, starting with a letter. */
/** `env-` + a lowercase ULID (26 Crockford base-32 characters; lowercase because it ends up in ALB names). */
export const ENVIRONMENT_ID_PATTERN = /^env-[0-9a-hjkmnp-tv-z]{26}$/;

export const DNS_LABEL = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

export interface EnvironmentRef {
  /** `env-` + ULID. */
  id: string;
  name: string;
  team: string;
}

/** The eight lowercase characters of the environment id that make account-wide names unique. */
export function envKey(environmentId: string): string {
  return environmentId.slice(-8).toLowerCase();
}

export const names = {
  cluster: (env: EnvironmentRef) => `${env.name}-${envKey(env.id)}`,
  loadBalancer: (env: EnvironmentRef) => `${env.name}-${envKey(env.id)}`,
  targetGroup: (env: EnvironmentRef, service: string) => `${envKey(env.id)}-${service}`,
  taskFamily: (env: EnvironmentRef, service: string) => `${env.name}-${envKey(env.id)}-${service}`,
  logGroup: (env: EnvironmentRef, service: string) => `/berth/${env.team}/${env.name}/${service}`,
  /** The name tag of EC2 resources (VPC, subnets…): what a console user sees. */
  resource: (env: EnvironmentRef, part: string) => `berth-${env.name}-${part}`,
  /**
   * The environment's task execution role. IAM role names are unique per account across every Region
   * and stage, so the whole environment id (not `envKey`): 46 characters, within IAM's 64.
   */
  executionRole: (env: Pick<EnvironmentRef, 'id'>) => `berth-${env.id}-execution`,
  /** The role (and its instance profile, of the same name) of the environment's EC2 container instances. */
  instanceRole: (env: Pick<EnvironmentRef, 'id'>) => `berth-${env.id}-instance`,
  /**
   * The task role berth creates for a service that declares `iam` statements. The `-task-` infix keeps
   * it apart from `-execution` and `-instance` whatever the service is called: at most
   * 6 + 30 + 6 + 20 = 62 characters, within IAM's 64 (checked anyway by `derivedNameProblems`).
   */
  taskRole: (env: Pick<EnvironmentRef, 'id'>, service: string) => `berth-${env.id}-task-${service}`,
};

/** IAM role names: at most 64 characters of letters, digits and `+=,.@_-` (IAM quotas, name requirements). */
export const IAM_ROLE_NAME_MAX = 64;
export const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** What AWS accepts as one kind of name: a length, a character set and, for some, a reserved prefix. */
interface AwsNameRule {
  /** What the name is, as a caller reads it in an error ("the load balancer name"). */
  what: string;
  max: number;
  pattern: RegExp;
  /** The characters `pattern` allows, in words. */
  allowed: string;
  reservedPrefix?: string;
}

const ELB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const ELB_ALLOWED = 'letters, digits and inner hyphens';

/**
 * AWS's rules for every name berth derives from a spec, one per kind of name
 * (docs/aws-facts.md#task-definitions-ami-architecture-and-derived-names).
 */
export const AWS_NAME_RULES = {
  // ELBv2 reserves `internal-` for the DNS names of internal load balancers.
  loadBalancer: {
    what: 'the load balancer name',
    max: 32,
    pattern: ELB_NAME,
    allowed: ELB_ALLOWED,
    reservedPrefix: 'internal-',
  },
  targetGroup: { what: 'the target group name', max: 32, pattern: ELB_NAME, allowed: ELB_ALLOWED },
  cluster: {
    what: 'the ECS cluster name',
    max: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: 'letters, digits, hyphens and underscores',
  },
  service: {
    what: 'the ECS service name',
    max: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: 'letters, digits, hyphens and underscores',
  },
  taskFamily: {
    what: 'the task definition family',
    max: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: 'letters, digits, hyphens and underscores',
  },
  logGroup: {
    what: 'the log group name',
    max: 512,
    pattern: /^[A-Za-z0-9._/#-]+$/,
    allowed: 'letters, digits and . _ - / #',
  },
  executionRole: {
    what: 'the execution role name',
    max: IAM_ROLE_NAME_MAX,
    pattern: /^[\w+=,.@-]+$/,
    allowed: 'letters, digits and + = , . @ _ -',
  },
  taskRole: {
    what: 'the task role name',
    max: IAM_ROLE_NAME_MAX,
    pattern: /^[\w+=,.@-]+$/,
    allowed: 'letters, digits and + = , . @ _ -',
  },
  // EC2 also reserves `sg-` at the start of a security group name.
  securityGroup: {
    what: 'the security group name',
    max: 255,
    pattern: /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/,
    allowed: 'letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*',
    reservedPrefix: 'sg-',
  },
} as const satisfies Record<string, AwsNameRule>;

/** Why AWS would refuse `name` as the kind of name `rule` describes, or undefined. */
export function awsNameProblem(name: string, rule: AwsNameRule): string | undefined {
  if (name.length > rule.max)
    return `${rule.what} derived from it (${name}) would exceed ${rule.max} characters`;
  if (!rule.pattern.test(name)) return `${rule.what} derived from it (${name}) may hold only ${rule.allowed}`;
  if (rule.reservedPrefix !== undefined && name.startsWith(rule.reservedPrefix)) {
    return `${rule.what} derived from it (${name}) would begin with "${rule.reservedPrefix}", which AWS reserves`;
  }
  return undefined;
}

/** The longest security-group part berth names (`berth-<environment>-<part>`). */
const LONGEST_SECURITY_GROUP_PART = 'sg-database';

/**
 * Every name berth derives for an environment, checked against AWS's rules before anything is
 * created: each problem is reported at the spec field it comes from (`name`, `services.<i>.name`,
 * `jobs.<i>.name`). `env.id` may be a stand-in of an id's length.
 */
export function derivedNameProblems(
  env: EnvironmentRef,
  services: readonly { name: string; iam?: unknown }[],
  jobs: readonly { name: string }[],
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const check = (path: (string | number)[], name: string, rule: AwsNameRule) => {
    const message = awsNameProblem(name, rule);
    if (message !== undefined) problems.push({ path, message });
  };
  check(['name'], names.loadBalancer(env), AWS_NAME_RULES.loadBalancer);
  check(['name'], names.cluster(env), AWS_NAME_RULES.cluster);
  check(['name'], names.resource(env, LONGEST_SECURITY_GROUP_PART), AWS_NAME_RULES.securityGroup);
  check(['name'], names.executionRole(env), AWS_NAME_RULES.executionRole);
  services.forEach((service, i) => {
    const at = ['services', i, 'name'];
    check(at, service.name, AWS_NAME_RULES.service);
    check(at, names.targetGroup(env, service.name), AWS_NAME_RULES.targetGroup);
    check(at, names.taskFamily(env, service.name), AWS_NAME_RULES.taskFamily);
    check(at, names.logGroup(env, service.name), AWS_NAME_RULES.logGroup);
    // Only a service with `iam` statements gets a role berth names.
    if (service.iam !== undefined) check(at, names.taskRole(env, service.name), AWS_NAME_RULES.taskRole);
  });
  jobs.forEach((job, i) => {
    const at = ['jobs', i, 'name'];
    check(at, names.taskFamily(env, job.name), AWS_NAME_RULES.taskFamily);
    check(at, names.logGroup(env, job.name), AWS_NAME_RULES.logGroup);
  });
  return problems;
}

/**
 * Every IAM role berth creates for an environment, by name: what teardown looks for. `services` are the
 * names of every service the environment has or had (a task role per service that declared `iam`;
 * one never created is simply not found).
 */
export function environmentRoleNames(
  env: Pick<EnvironmentRef, 'id'>,
  services: readonly string[] = [],
): string[] {
  const taskRoles = [...new Set(services)].sort().map((service) => names.taskRole(env, service));
  return [names.executionRole(env), names.instanceRole(env), ...taskRoles];
}

/** Tags set on every resource at creation; `extra` are the caller's own tags. */
export function environmentTags(
  env: EnvironmentRef,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...extra,
    [TAG_ENVIRONMENT]: env.id,
    [TAG_TEAM]: env.team,
    [TAG_MANAGED_BY]: MANAGED_BY,
  };
}

/** Tags in the `[{Key, Value}]` form most AWS APIs take. */
export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
