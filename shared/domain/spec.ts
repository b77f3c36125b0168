/**
 * The environment spec: what a team asks for in `POST /environments`. One zod schema is the single
 * source of truth — it validates requests, applies defaults, and generates the OpenAPI document.
 *
 * Objects are strict (an unknown field is an error, so a typo never silently means "use the
 * default"). Field-level rules live on the fields; rules that relate several fields live in
 * `checkCrossFieldRules`, each reported at the path of the field the caller should change.
 * Defaults are applied by parsing, so `EnvironmentSpec` (the output) always has every defaulted
 * field present and re-parsing it gives the same value.
 */
import { callbackUrlProblem } from './callback-address';
import {
  DNS_LABEL,
  derivedNameProblems,
  ENVIRONMENT_NAME_MAX,
  SERVICE_NAME_MAX,
  TEAM_NAME_MAX,
} from './naming';
import * as z from './zod';

// ---------------------------------------------------------------------------------------------
// Formats: small pure predicates, exported so that other layers (CLI, tests) agree with the API.
// ---------------------------------------------------------------------------------------------

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The address and prefix of a well-formed IPv4 CIDR (no leading zeros), or undefined. */
function parseCidr(cidr: string): { address: number; prefix: number } | undefined {
  const match = IPV4_CIDR.exec(cidr);
  if (!match) return undefined;
  const parts = match.slice(1).map((part) => (/^(0|[1-9]\d*)$/.test(part) ? Number(part) : Number.NaN));
  const [a, b, c, d, prefix] = parts;
  if (a === undefined || b === undefined || c === undefined || d === undefined || prefix === undefined) {
    return undefined;
  }
  if ([a, b, c, d].some((octet) => !(octet >= 0 && octet <= 255)) || !(prefix >= 0 && prefix <= 32)) {
    return undefined;
  }
  // `>>> 0` keeps the 32-bit value unsigned.
  return { address: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, prefix };
}

/** RFC 1918 ranges; a VPC may only use these (AWS also allows 100.64/10, which berth does not hand out). */
const PRIVATE_RANGES = [
  { base: 0x0a000000, prefix: 8 },
  { base: 0xac100000, prefix: 12 },
  { base: 0xc0a80000, prefix: 16 },
] as const;

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Why `cidr` cannot be a VPC CIDR (private, /16–/24 as AWS allows, no host bits), or undefined. */
export function vpcCidrProblem(cidr: string): string | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed) return 'must be "auto" or an IPv4 CIDR such as 10.20.0.0/16';
  const { address, prefix } = parsed;
  // AWS: a VPC's primary CIDR block is between /16 and /28; berth needs room for 3 tiers × 3 AZs.
  if (prefix < 16 || prefix > 24) return `prefix /${prefix} is out of range: use /16 to /24`;
  if ((address & ~maskOf(prefix)) >>> 0 !== 0)
    return `${cidr} has host bits set: the network address is needed`;
  const isPrivate = PRIVATE_RANGES.some(
    (range) => prefix >= range.prefix && (address & maskOf(range.prefix)) >>> 0 === range.base,
  );
  if (!isPrivate) return `${cidr} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`;
  return undefined;
}

/** True for a well-formed IPv4 CIDR (any range; host bits allowed, as security groups accept). */
export function isIpv4Cidr(cidr: string): boolean {
  return parseCidr(cidr) !== undefined;
}

const IMAGE_PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_DIGEST = /^sha256:[a-f0-9]{64}$/;
const REGISTRY_HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;

/**
 * True for a Docker image reference: `[registry[:port]/]path[:tag][@sha256:<64 hex>]`, following the
 * distribution reference grammar. The first component is a registry only if it has a `.` or a `:` or
 * is `localhost` (as Docker decides), so `MyOrg/app` is an uppercase path, not a registry.
 */
export function isImageReference(reference: string): boolean {
  if (reference.length === 0 || reference.length > 512) return false;
  let rest = reference;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (!IMAGE_DIGEST.test(rest.slice(at + 1))) return false;
    rest = rest.slice(0, at);
  }
  const colon = rest.indexOf(':', rest.lastIndexOf('/') + 1);
  if (colon >= 0) {
    if (!IMAGE_TAG.test(rest.slice(colon + 1))) return false;
    rest = rest.slice(0, colon);
  }
  const components = rest.split('/');
  const first = components[0] ?? '';
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!REGISTRY_HOST.test(first)) return false;
    components.shift();
  }
  return components.length > 0 && components.every((component) => IMAGE_PATH_COMPONENT.test(component));
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  label: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Tokens allowed as a whole item besides numbers and ranges (`L`, `LW`, `3W`, `5L`, `2#3`). */
  special?: RegExp;
}

const CRON_FIELDS: readonly CronField[] = [
  { label: 'minutes', min: 0, max: 59 },
  { label: 'hours', min: 0, max: 23 },
  { label: 'day-of-month', min: 1, max: 31, special: /^(?:L|LW|([1-9]|[12]\d|3[01])W)$/ },
  { label: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { label: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, special: /^(?:L|[1-7]L|[1-7]#[1-5])$/ },
  { label: 'year', min: 1970, max: 2199 },
];

function cronValue(token: string, field: CronField): number | undefined {
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return index + 1;
  if (!/^\d+$/.test(token)) return undefined;
  const value = Number(token);
  return value >= field.min && value <= field.max ? value : undefined;
}

/** True when one comma-separated item (`*`, `5`, `1-5`, `*\/10`, `0/15`, `MON-FRI`…) fits the field. */
function isCronItem(item: string, field: CronField): boolean {
  if (field.special?.test(item)) return true;
  const [range, step, ...extra] = item.split('/');
  if (range === undefined || extra.length > 0) return false;
  if (step !== undefined && !/^[1-9]\d*$/.test(step)) return false;
  if (range === '*') return true;
  const [from, to, ...more] = range.split('-');
  if (from === undefined || more.length > 0) return false;
  const start = cronValue(from, field);
  if (start === undefined) return false;
  if (to === undefined) return true;
  const end = cronValue(to, field);
  return end !== undefined && end >= start;
}

/**
 * The most often a job's schedule may start a task: every 5 minutes. Each start is a RunTask (a
 * Fargate task billed for at least a minute, and a call in ECS's account-wide RunTask bucket), and
 * 20 jobs at rate(1 minute) would start 28,800 tasks a day for one environment.
 */
export const MIN_SCHEDULE_INTERVAL_MINUTES = 5;

/** The minutes of the hour a valid cron minutes field fires at. */
function cronMinutes(field: string): number[] {
  const minutes = new Set<number>();
  for (const item of field.split(',')) {
    const [range = '', step] = item.split('/');
    const [from, to] = range === '*' ? ['0', '59'] : range.split('-');
    const start = Number(from);
    const end = to !== undefined ? Number(to) : step !== undefined ? 59 : start;
    for (let minute = start; minute <= end; minute += step !== undefined ? Number(step) : 1)
      minutes.add(minute);
  }
  return [...minutes].sort((a, b) => a - b);
}

/** The shortest time between two starts of a valid cron minutes field, across the hour too. */
function shortestCronGap(field: string): number {
  const minutes = cronMinutes(field);
  const first = minutes[0];
  const last = minutes.at(-1);
  if (first === undefined || last === undefined || minutes.length === 1) return 60;
  let gap = 60 - last + first;
  for (let index = 1; index < minutes.length; index += 1) {
    gap = Math.min(gap, (minutes[index] ?? 0) - (minutes[index - 1] ?? 0));
  }
  return gap;
}

const TOO_OFTEN = `a job may run at most every ${MIN_SCHEDULE_INTERVAL_MINUTES} minutes`;

/**
 * Why a valid schedule `expression` starts tasks more often than every MIN_SCHEDULE_INTERVAL_MINUTES,
 * or undefined. A cron's minutes are judged within the hour and across it (`0,58 * …` is 2 minutes).
 */
export function scheduleFrequencyProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) minutes?\)$/.exec(expression);
  if (rate) {
    return Number(rate[1]) < MIN_SCHEDULE_INTERVAL_MINUTES
      ? `${TOO_OFTEN}: write rate(${MIN_SCHEDULE_INTERVAL_MINUTES} minutes) or longer`
      : undefined;
  }
  const minutesField = /^cron\(\s*(\S+)/.exec(expression)?.[1];
  if (minutesField === undefined) return undefined;
  const gap = shortestCronGap(minutesField);
  return gap < MIN_SCHEDULE_INTERVAL_MINUTES
    ? `${TOO_OFTEN}: this cron expression starts one ${gap} minute${gap === 1 ? '' : 's'} after another`
    : undefined;
}

/** The jobs whose schedules start tasks too often, at `jobs/<i>/trigger/schedule`. */
export function scheduleFrequencyProblems(
  spec: Pick<EnvironmentSpec, 'jobs'>,
): { path: (string | number)[]; message: string }[] {
  return spec.jobs.flatMap((job, index) => {
    const expression = 'schedule' in job.trigger ? job.trigger.schedule : undefined;
    const message = expression === undefined ? undefined : scheduleFrequencyProblem(expression);
    return message === undefined ? [] : [{ path: ['jobs', index, 'trigger', 'schedule'], message }];
  });
}

/**
 * Why `expression` is not an EventBridge Scheduler schedule, or undefined. Scheduler takes
 * `cron(minutes hours day-of-month month day-of-week year)` — six fields, exactly one of the two day
 * fields `?` — or `rate(value unit)` with a singular unit for 1 and a plural one otherwise.
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1) return 'a rate must be a positive whole number';
    const singular = !unit.endsWith('s');
    if (value === 1 && !singular) return `write rate(1 ${unit.slice(0, -1)}): the unit is singular for 1`;
    if (value !== 1 && singular) return `write rate(${value} ${unit}s): the unit is plural above 1`;
    return undefined;
  }
  if (expression.startsWith('rate('))
    return 'a rate looks like rate(5 minutes): minute(s), hour(s) or day(s)';
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return 'must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit)';
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6)
    return `a cron expression has 6 fields (minutes … year), this one has ${fields.length}`;
  for (const [index, field] of CRON_FIELDS.entries()) {
    const text = fields[index] ?? '';
    if (text === '?' && (index === 2 || index === 4)) continue;
    if (!text.split(',').every((item) => isCronItem(item, field)))
      return `cron field ${field.label} "${text}" is invalid`;
  }
  if ((fields[2] === '?') === (fields[4] === '?')) {
    return 'exactly one of day-of-month and day-of-week must be "?" in a cron expression';
  }
  return undefined;
}

/** True for an IANA time-zone name this runtime knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(name: string): boolean {
  // Intl accepts case-insensitive spellings; Scheduler wants the canonical case, so check the shape too.
  if (!/^(?:[A-Z][A-Za-z0-9_+-]*)(?:\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** True for a fully qualified domain name: two or more labels, ≤ 253 characters, optional final dot. */
export function isDomainName(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = bare.split('.');
  return bare.length <= 253 && labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label));
}

/** True for an ALB health-check matcher: HTTP codes 200–499 as a list of codes and ranges. */
export function isHealthCheckMatcher(matcher: string): boolean {
  if (!/^\d{3}(?:-\d{3})?(?:,\d{3}(?:-\d{3})?)*$/.test(matcher)) return false;
  return matcher.split(',').every((item) => {
    const [from = 0, to = from] = item.split('-').map(Number);
    return from >= 200 && to <= 499 && from <= to;
  });
}

// ---------------------------------------------------------------------------------------------
// AWS constants that the schema checks against.
// ---------------------------------------------------------------------------------------------

/** Values CloudWatch Logs accepts for `retentionInDays` (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

function steps(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** Fargate task sizes: cpu units → allowed memory (MiB). ECS "Task CPU and memory" table. */
export const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

/** Why a task of `cpu`/`memory` cannot run on Fargate, naming the field to change, or undefined. */
export function fargateSizeProblem(
  cpu: number,
  memory: number,
): { field: 'cpu' | 'memory'; message: string } | undefined {
  const allowed = FARGATE_MEMORY_BY_CPU[cpu];
  if (!allowed) {
    const cpus = Object.keys(FARGATE_MEMORY_BY_CPU).join(', ');
    return { field: 'cpu', message: `cpu ${cpu} is not a Fargate task size: use one of ${cpus}` };
  }
  if (allowed.includes(memory)) return undefined;
  const first = allowed[0] ?? 0;
  const last = allowed[allowed.length - 1] ?? 0;
  const range =
    allowed.length <= 4 ? allowed.join(', ') : `${first} to ${last} in steps of ${(allowed[1] ?? 0) - first}`;
  return {
    field: 'memory',
    message: `memory ${memory} MiB does not fit cpu ${cpu} on Fargate: use ${range}`,
  };
}

/** A 30-character stand-in for an environment id, to check the length of names derived from it. */
export const PLACEHOLDER_ENVIRONMENT_ID = 'env-01j00000000000000000000000';
/** ALB and target-group names: ≤ 32 characters (ELBv2 CreateLoadBalancer / CreateTargetGroup). */
export const ELB_NAME_MAX = 32;

// ---------------------------------------------------------------------------------------------
// The schema.
// ---------------------------------------------------------------------------------------------

const ARN_PARTITION = 'arn:aws(?:-[a-z]+)*';
const CERTIFICATE_ARN = new RegExp(
  `^${ARN_PARTITION}:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$`,
);
const ROLE_ARN = new RegExp(`^${ARN_PARTITION}:iam::\\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`);
// ECS `valueFrom` also accepts `secret:name:json-key:version-stage:version-id` for Secrets Manager.
const SECRET_ARN = new RegExp(
  `^${ARN_PARTITION}:(?:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+(?::[^:\\s]*:[^:\\s]*:[^:\\s]*)?|ssm:[a-z0-9-]+:\\d{12}:parameter/[A-Za-z0-9/_.-]+)$`,
);
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// An IAM action: a literal service prefix, then the action with IAM's wildcards `*` and `?` (no bare `*`).
const IAM_ACTION = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;
// A resource ARN a task role may name: literal partition and service; Region, account and resource
// may hold IAM's wildcards (an S3 ARN has neither Region nor account). `*` alone is not an ARN.
const RESOURCE_ARN = new RegExp(`^${ARN_PARTITION}:[a-z0-9-]+:[a-z0-9*?-]*:(?:\\d{12}|[0-9*?]{1,12})?:\\S+$`);

/** The most statements, actions and resources one service's `iam` may hold. */
export const TASK_ROLE_LIMITS = { statements: 20, actions: 50, resources: 50 } as const;

const dnsLabel = (max: number, what: string) =>
  z.string().check(
    z.maxLength(max, { error: `${what} is at most ${max} characters` }),
    z.regex(DNS_LABEL, {
      error: `${what} must be lowercase letters, digits and inner hyphens, starting with a letter`,
    }),
  );

const envVarName = z
  .string()
  .check(z.regex(ENV_VAR_NAME, { error: 'must be a variable name: [A-Za-z_][A-Za-z0-9_]*' }));

const networkSchema = z.strictObject({
  cidr: z.meta(
    z._default(
      z.string().check(
        z.superRefine((cidr, ctx) => {
          const problem = cidr === 'auto' ? undefined : vpcCidrProblem(cidr);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      ),
      'auto',
    ),
    {
      description: '"auto" (allocated from the pool, never overlapping) or a private IPv4 CIDR /16–/24.',
      examples: ['auto', '10.20.0.0/16'],
    },
  ),
  availabilityZones: z._default(z.literal([2, 3], { error: 'availabilityZones is 2 or 3' }), 2),
  natGateways: z.meta(z._default(z.enum(['none', 'single', 'per-az']), 'single'), {
    description: 'per-az survives an AZ outage; single costs less; none leaves tasks without egress.',
  }),
  allowedIngressCidrs: z.meta(
    z._default(
      z
        .array(
          z.string().check(z.refine(isIpv4Cidr, { error: 'must be an IPv4 CIDR such as 203.0.113.0/24' })),
        )
        .check(z.minLength(1), z.maxLength(50)),
      ['0.0.0.0/0'],
    ),
    { description: 'Who may reach the load balancer on 80/443.' },
  ),
});

const ec2CapacitySchema = z.strictObject({
  instanceType: z
    .string()
    .check(z.regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'must be an instance type such as t3.medium' })),
  minSize: z.int().check(z.minimum(0), z.maximum(1000)),
  maxSize: z.int().check(z.minimum(1), z.maximum(1000)),
  desiredCapacity: z.int().check(z.minimum(0), z.maximum(1000)),
  amiId: z.meta(
    z.optional(
      z.string().check(
        z.regex(/^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, {
          error: 'must be an AMI id such as ami-0abcdef1234567890',
        }),
      ),
    ),
    { description: 'Defaults to the current ECS-optimised Amazon Linux AMI.' },
  ),
  rootVolumeGiB: z._default(z.int().check(z.minimum(30), z.maximum(16384)), 30),
  keyPair: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
});

const clusterSchema = z.strictObject({
  capacity: z._default(z.enum(['FARGATE', 'FARGATE_SPOT', 'EC2']), 'FARGATE'),
  containerInsights: z._default(z.boolean(), true),
  ec2: z.meta(z.optional(ec2CapacitySchema), {
    description: 'Required when capacity is EC2, refused otherwise.',
  }),
});

const loadBalancerSchema = z.strictObject({
  scheme: z._default(z.enum(['internet-facing', 'internal']), 'internet-facing'),
  certificateArn: z.meta(
    z.optional(z.string().check(z.regex(CERTIFICATE_ARN, { error: 'must be an ACM certificate ARN' }))),
    { description: 'Turns on HTTPS on 443 with a redirect from 80.' },
  ),
  idleTimeoutSeconds: z._default(z.int().check(z.minimum(1), z.maximum(4000)), 60),
});

const healthCheckSchema = z.strictObject({
  path: z._default(z.string().check(z.maxLength(1024), z.regex(/^\//, { error: 'must start with /' })), '/'),
  intervalSeconds: z._default(z.int().check(z.minimum(5), z.maximum(300)), 12),
  timeoutSeconds: z._default(z.int().check(z.minimum(2), z.maximum(120)), 5),
  healthyThreshold: z._default(z.int().check(z.minimum(2), z.maximum(10)), 2),
  unhealthyThreshold: z._default(z.int().check(z.minimum(2), z.maximum(10)), 2),
  matcher: z._default(
    z.string().check(
      z.refine(isHealthCheckMatcher, {
        error: 'must be HTTP codes 200–499 such as "200" or "200-299,301"',
      }),
    ),
    '200',
  ),
  gracePeriodSeconds: z._default(z.int().check(z.minimum(0), z.maximum(2147483647)), 30),
});

const routingSchema = z.strictObject({
  // ALB: a condition holds at most 3 values, each ≤ 128 characters; path patterns are case-sensitive.
  pathPatterns: z._default(
    z
      .array(
        z
          .string()
          .check(
            z.maxLength(128),
            z.regex(/^\/[A-Za-z0-9_\-.$/~"'@:+&*?]*$/, { error: 'must be a path pattern starting with /' }),
          ),
      )
      .check(z.minLength(1), z.maxLength(3)),
    ['/*'],
  ),
  hostHeaders: z._default(
    z
      .array(
        z
          .string()
          .check(
            z.maxLength(128),
            z.regex(/^[A-Za-z0-9*?.-]+$/, { error: 'must be a host name (wildcards * and ? allowed)' }),
          ),
      )
      .check(z.maxLength(3)),
    [],
  ),
  priority: z.meta(z.optional(z.int().check(z.minimum(1), z.maximum(50000))), {
    description: 'Listener rule priority; assigned when absent.',
  }),
});

const placementStrategySchema = z.strictObject({
  type: z.enum(['spread', 'binpack', 'random']),
  field: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
});

const placementConstraintSchema = z.strictObject({
  type: z.enum(['memberOf', 'distinctInstance']),
  expression: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
});

const placementSchema = z.strictObject({
  preset: z.enum(['az-balanced-spread', 'az-balanced-binpack', 'binpack', 'one-task-per-host', 'custom']),
  // ECS: at most 5 strategies and 10 constraints per service.
  strategies: z.optional(z.array(placementStrategySchema).check(z.maxLength(5))),
  constraints: z.optional(z.array(placementConstraintSchema).check(z.maxLength(10))),
});

const taskRoleStatementSchema = z.strictObject({
  actions: z.meta(
    z
      .array(
        z.string().check(
          z.maxLength(128),
          z.regex(IAM_ACTION, {
            error:
              'must be an IAM action such as sqs:SendMessage (service:Action, wildcards * and ? in the action)',
          }),
        ),
      )
      .check(z.minLength(1), z.maxLength(TASK_ROLE_LIMITS.actions)),
    {
      description: 'IAM actions (service:Action; * and ? in the action part).',
      examples: [['sqs:SendMessage']],
    },
  ),
  resources: z.meta(
    z
      .array(
        z.string().check(
          z.maxLength(2048),
          z.regex(RESOURCE_ARN, {
            error:
              'must be a resource ARN such as arn:aws:sqs:eu-west-1:123456789012:payments_orders (wildcards * and ? allowed, "*" alone is not)',
          }),
        ),
      )
      .check(z.minLength(1), z.maxLength(TASK_ROLE_LIMITS.resources)),
    {
      description: "Resource ARNs; each must match one of the team policy's taskRoleResources patterns.",
      examples: [['arn:aws:sqs:eu-west-1:123456789012:payments_orders']],
    },
  ),
});

const taskRoleIamSchema = z.strictObject({
  statements: z.meta(
    z.array(taskRoleStatementSchema).check(z.minLength(1), z.maxLength(TASK_ROLE_LIMITS.statements)),
    { description: 'Allow statements: each grants its actions on its resources.' },
  ),
});

const serviceSchema = z.strictObject({
  name: dnsLabel(SERVICE_NAME_MAX, 'a service name'),
  image: z.meta(
    z.string().check(
      z.refine(isImageReference, {
        error: 'must be an image reference such as registry/repository:tag or repository@sha256:<64 hex>',
      }),
    ),
    { examples: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4.2', 'nginx:1.27'] },
  ),
  // ECS on EC2 takes 128–196608 cpu units; Fargate sizes are checked across fields.
  cpu: z._default(z.int().check(z.minimum(128), z.maximum(196608)), 256),
  memory: z._default(z.int().check(z.minimum(128), z.maximum(1048576)), 512),
  port: z._default(z.int().check(z.minimum(1), z.maximum(65535)), 80),
  environment: z._default(z.record(envVarName, z.string().check(z.maxLength(32768))), {}),
  secrets: z.meta(
    z._default(
      z.record(
        envVarName,
        z
          .string()
          .check(z.regex(SECRET_ARN, { error: 'must be a Secrets Manager secret or SSM parameter ARN' })),
      ),
      {},
    ),
    {
      description:
        "Environment variable name → Secrets Manager or SSM Parameter Store ARN. The environment's task execution role may read exactly these; a secret encrypted with a customer managed KMS key also needs that key's policy to allow the role kms:Decrypt.",
    },
  ),
  desiredCount: z._default(z.int().check(z.minimum(0), z.maximum(100)), 1),
  healthCheck: z.prefault(healthCheckSchema, {}),
  routing: z.prefault(routingSchema, {}),
  placement: z.meta(z.optional(placementSchema), { description: 'EC2 capacity only.' }),
  logging: z.prefault(
    z.strictObject({
      retentionDays: z._default(
        z.literal(LOG_RETENTION_DAYS, {
          error: `must be one of CloudWatch's values: ${LOG_RETENTION_DAYS.join(', ')}`,
        }),
        30,
      ),
    }),
    {},
  ),
  deployment: z.prefault(
    z.strictObject({
      minimumHealthyPercent: z._default(z.int().check(z.minimum(0), z.maximum(100)), 100),
      maximumPercent: z._default(z.int().check(z.minimum(100), z.maximum(200)), 200),
      circuitBreaker: z.meta(z._default(z.boolean(), true), {
        description: 'Deployment circuit breaker with rollback.',
      }),
    }),
    {},
  ),
  taskRoleArn: z.meta(z.optional(z.string().check(z.regex(ROLE_ARN, { error: 'must be an IAM role ARN' }))), {
    description:
      "The role the service's containers act as. berth may only hand ECS roles matching the deployment's pattern (by default arn:aws:iam::<account>:role/berth-task-*); any other is refused with 422.",
    examples: ['arn:aws:iam::123456789012:role/berth-task-payments-api'],
  }),
  iam: z.meta(z.optional(taskRoleIamSchema), {
    description:
      "What the service's containers may do in AWS: berth creates the task role berth-<environment id>-task-<service> with these Allow statements as its policy, under the deployment's permissions boundary (which denies IAM, STS role assumption, Organizations, account and billing changes and berth's own resources). Resources must match the team policy's taskRoleResources (by default names starting with <team>-), actions its taskRoleActions. Not together with taskRoleArn.",
    examples: [
      {
        statements: [
          { actions: ['sqs:SendMessage'], resources: ['arn:aws:sqs:eu-west-1:123456789012:payments_orders'] },
        ],
      },
    ],
  }),
});

const jobTriggerSchema = z.union([
  z.strictObject({
    schedule: z.meta(
      z.string().check(
        z.superRefine((expression, ctx) => {
          const problem = scheduleExpressionProblem(expression);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      ),
      {
        description:
          'EventBridge Scheduler expression: cron(minutes hours day-of-month month day-of-week year) or rate(value unit); at most one start every 5 minutes (rate(1 minute) or cron(* …) is refused with 422).',
        examples: ['cron(0 3 * * ? *)', 'rate(15 minutes)'],
      },
    ),
    timezone: z.optional(
      z.string().check(z.refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Paris' })),
    ),
  }),
  z.strictObject({
    queue: z.strictObject({
      // SQS limits: visibility timeout 0–43200 s; redrive maxReceiveCount 1–1000.
      visibilityTimeoutSeconds: z.optional(z.int().check(z.minimum(0), z.maximum(43200))),
      maxReceiveCount: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
    }),
  }),
]);

const jobSchema = z.strictObject({
  name: dnsLabel(20, 'a job name'),
  service: z.meta(z.optional(z.string()), {
    description: "Run with this service's image and task definition.",
  }),
  image: z.meta(
    z.optional(
      z
        .string()
        .check(
          z.refine(isImageReference, { error: 'must be an image reference such as registry/repository:tag' }),
        ),
    ),
    { description: 'Run this image instead of a service (give exactly one of service and image).' },
  ),
  command: z.optional(z.array(z.string().check(z.maxLength(4096))).check(z.maxLength(100))),
  cpu: z.optional(z.int().check(z.minimum(128), z.maximum(196608))),
  memory: z.optional(z.int().check(z.minimum(128), z.maximum(1048576))),
  trigger: jobTriggerSchema,
});

const tagKey = z.string().check(
  z.minLength(1),
  z.maxLength(128),
  z.regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, {
    error: 'may hold letters, digits, spaces and _ . : / = + - @',
  }),
  z.refine((key) => !/^(aws|berth):/i.test(key), {
    error: 'tag keys starting with aws: or berth: are reserved',
  }),
);

const environmentRequestObject = z.strictObject({
  name: dnsLabel(ENVIRONMENT_NAME_MAX, 'an environment name'),
  team: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(TEAM_NAME_MAX, { error: `a team is at most ${TEAM_NAME_MAX} characters` }),
      z.regex(/^[a-z0-9-]+$/, { error: 'a team is lowercase letters, digits and hyphens' }),
    ),
  network: z.prefault(networkSchema, {}),
  cluster: z.prefault(clusterSchema, {}),
  loadBalancer: z.prefault(loadBalancerSchema, {}),
  services: z
    .array(serviceSchema)
    .check(z.minLength(1, { error: 'at least one service is needed' }), z.maxLength(10)),
  dns: z.meta(
    z.optional(
      z.strictObject({
        hostedZoneId: z.string().check(
          z.regex(/^[A-Z0-9]{1,32}$/, {
            error: 'must be a Route 53 hosted zone id such as Z0123456789ABC',
          }),
        ),
        recordName: z
          .string()
          .check(z.refine(isDomainName, { error: 'must be a domain name such as shop.example.com' })),
      }),
    ),
    { description: 'A Route 53 alias record for the load balancer.' },
  ),
  jobs: z._default(z.array(jobSchema).check(z.maxLength(20)), []),
  tags: z.meta(
    z._default(
      z
        .record(tagKey, z.string().check(z.maxLength(256)))
        .check(z.refine((tags) => Object.keys(tags).length <= 40, { error: 'at most 40 tags' })),
      {},
    ),
    { maxProperties: 40, description: 'Copied onto every resource; berth adds its own berth:* tags.' },
  ),
  ticket: z.meta(z.optional(z.string().check(z.minLength(1), z.maxLength(128))), { examples: ['OPS-1234'] }),
  // The literal address is judged here, at request time (a refused URL is never accepted to be
  // dropped at delivery); what a name resolves to is judged again by the delivering socket.
  callbackUrl: z.optional(
    z.url({ protocol: /^https$/, error: 'must be an https URL', abort: true }).check(
      z.maxLength(2048),
      z.superRefine((url, ctx) => {
        const problem = callbackUrlProblem(url, false);
        if (problem) ctx.addIssue({ code: 'custom', message: `callbackUrl ${problem}` });
      }),
    ),
  ),
});

type EnvironmentSpecBeforeRules = z.output<typeof environmentRequestObject>;
type ServiceSpecValue = z.output<typeof serviceSchema>;

interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string; path: (string | number)[] }): void;
}

/** Every rule relating several fields. Each issue names the field to change. */
function checkCrossFieldRules(spec: EnvironmentSpecBeforeRules, ctx: IssueSink): void {
  const report = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', message, path });
  const { capacity, ec2 } = spec.cluster;

  if (capacity === 'EC2' && !ec2) report(['cluster', 'ec2'], 'cluster.ec2 is required when capacity is EC2');
  if (capacity !== 'EC2' && ec2)
    report(['cluster', 'ec2'], `cluster.ec2 is only allowed when capacity is EC2, not ${capacity}`);
  if (ec2) {
    if (ec2.minSize > ec2.maxSize) report(['cluster', 'ec2', 'minSize'], 'minSize must not exceed maxSize');
    else if (ec2.desiredCapacity < ec2.minSize || ec2.desiredCapacity > ec2.maxSize) {
      report(
        ['cluster', 'ec2', 'desiredCapacity'],
        `desiredCapacity must be between minSize (${ec2.minSize}) and maxSize (${ec2.maxSize})`,
      );
    }
  }

  // Every AWS name berth will derive (ALB, target groups, cluster, families, log groups, roles…) must
  // be one AWS accepts: refused here rather than halfway through provisioning.
  const env = { id: PLACEHOLDER_ENVIRONMENT_ID, name: spec.name, team: spec.team };
  for (const { path, message } of derivedNameProblems(env, spec.services, spec.jobs)) report(path, message);

  const onFargate = capacity === 'FARGATE' || capacity === 'FARGATE_SPOT';
  const serviceIndex = new Map<string, number>();
  const priorities = new Map<number, number>();
  spec.services.forEach((service, i) => {
    const at = (...path: (string | number)[]) => ['services', i, ...path];
    const first = serviceIndex.get(service.name);
    if (first !== undefined)
      report(at('name'), `service name "${service.name}" is already used by services[${first}]`);
    else serviceIndex.set(service.name, i);

    if (service.iam !== undefined && service.taskRoleArn !== undefined) {
      report(
        at('iam'),
        'give either iam (berth creates the task role from its statements) or taskRoleArn (a role of yours), not both',
      );
    }

    if (onFargate) {
      const problem = fargateSizeProblem(service.cpu, service.memory);
      if (problem) report(at(problem.field), problem.message);
    }

    if (service.healthCheck.timeoutSeconds >= service.healthCheck.intervalSeconds) {
      report(at('healthCheck', 'timeoutSeconds'), 'timeoutSeconds must be less than intervalSeconds');
    }

    const { priority, pathPatterns, hostHeaders } = service.routing;
    // ALB: at most five condition values per listener rule.
    if (pathPatterns.length + hostHeaders.length > 5) {
      report(
        at('routing'),
        'pathPatterns and hostHeaders together hold at most 5 values (an ALB rule limit)',
      );
    }
    if (priority !== undefined) {
      const owner = priorities.get(priority);
      if (owner !== undefined)
        report(at('routing', 'priority'), `priority ${priority} is already used by services[${owner}]`);
      else priorities.set(priority, i);
    }
    const clash = spec.services.slice(0, i).findIndex((other) => routesOverlap(other, service));
    if (clash >= 0) {
      const pattern = pathPatterns.findIndex((p) => spec.services[clash]?.routing.pathPatterns.includes(p));
      report(
        at('routing', 'pathPatterns', Math.max(pattern, 0)),
        `services[${clash}] already routes the same hosts and path pattern "${pathPatterns[Math.max(pattern, 0)]}"`,
      );
    }

    checkPlacement(service, capacity === 'EC2', (path, message) => report(at('placement', ...path), message));
  });

  const jobIndex = new Map<string, number>();
  spec.jobs.forEach((job, i) => {
    const at = (...path: (string | number)[]) => ['jobs', i, ...path];
    const first = jobIndex.get(job.name);
    if (first !== undefined) report(at('name'), `job name "${job.name}" is already used by jobs[${first}]`);
    else jobIndex.set(job.name, i);
    // Jobs and services share task-family and log-group naming, so one name must mean one thing.
    if (serviceIndex.has(job.name)) report(at('name'), `job name "${job.name}" is already a service name`);

    if (job.service !== undefined && job.image !== undefined) {
      report(at('image'), 'give either service (reuse its task definition) or image, not both');
    } else if (job.service === undefined && job.image === undefined) {
      report(at(), 'a job needs either service (reuse its task definition) or image');
    }
    const service =
      job.service === undefined ? undefined : spec.services[serviceIndex.get(job.service) ?? -1];
    if (job.service !== undefined && !service)
      report(at('service'), `no service named "${job.service}" in this environment`);

    // A job's cpu/memory override its task's; the pair it ends up with must still be a Fargate size.
    if (onFargate && (job.cpu !== undefined || job.memory !== undefined)) {
      const problem = fargateSizeProblem(
        job.cpu ?? service?.cpu ?? 256,
        job.memory ?? service?.memory ?? 512,
      );
      const field =
        problem && job[problem.field] !== undefined
          ? problem.field
          : job.cpu !== undefined
            ? 'cpu'
            : 'memory';
      if (problem) report(at(field), problem.message);
    }
  });
}

/** Two services clash on the ALB when they match the same host set and share a path pattern. */
function routesOverlap(a: ServiceSpecValue, b: ServiceSpecValue): boolean {
  const hostsA = new Set(a.routing.hostHeaders.map((host) => host.toLowerCase()));
  const hostsB = new Set(b.routing.hostHeaders.map((host) => host.toLowerCase()));
  const sameHosts = hostsA.size === hostsB.size && [...hostsA].every((host) => hostsB.has(host));
  return sameHosts && a.routing.pathPatterns.some((pattern) => b.routing.pathPatterns.includes(pattern));
}

function checkPlacement(
  service: ServiceSpecValue,
  onEc2: boolean,
  report: (path: (string | number)[], message: string) => void,
): void {
  const { placement } = service;
  if (!placement) return;
  if (!onEc2) {
    report([], 'placement is only possible with EC2 capacity (Fargate places tasks itself)');
    return;
  }
  const hasCustom = (placement.strategies?.length ?? 0) + (placement.constraints?.length ?? 0) > 0;
  if (placement.preset === 'custom' && !hasCustom) {
    report([], 'the custom preset needs strategies or constraints');
  }
  if (placement.preset !== 'custom') {
    if (placement.strategies)
      report(['strategies'], `the ${placement.preset} preset sets its own strategies: use preset custom`);
    if (placement.constraints)
      report(['constraints'], `the ${placement.preset} preset sets its own constraints: use preset custom`);
  }
  placement.strategies?.forEach((strategy, k) => {
    // ECS: random takes no field; binpack takes cpu|memory; spread takes instanceId|host|attribute:…
    const { type, field } = strategy;
    if (type === 'random' && field !== undefined)
      report(['strategies', k, 'field'], 'a random strategy takes no field');
    if (type === 'binpack' && field !== 'cpu' && field !== 'memory') {
      report(['strategies', k, 'field'], 'a binpack strategy needs field cpu or memory');
    }
    if (
      type === 'spread' &&
      !(field === 'instanceId' || field === 'host' || field?.startsWith('attribute:'))
    ) {
      report(
        ['strategies', k, 'field'],
        'a spread strategy needs field instanceId, host or attribute:<name>',
      );
    }
  });
  placement.constraints?.forEach((constraint, k) => {
    if (constraint.type === 'memberOf' && constraint.expression === undefined) {
      report(
        ['constraints', k, 'expression'],
        'a memberOf constraint needs an expression such as attribute:ecs.instance-type =~ t3.*',
      );
    }
    if (constraint.type === 'distinctInstance' && constraint.expression !== undefined) {
      report(['constraints', k, 'expression'], 'a distinctInstance constraint takes no expression');
    }
  });
}

/** The body of `POST /environments`; parsing it applies every default and every rule. */
export const environmentRequestSchema = environmentRequestObject.check(z.superRefine(checkCrossFieldRules));

/** What a caller sends: defaulted fields optional. */
export type EnvironmentRequest = z.input<typeof environmentRequestSchema>;
/** What berth stores and acts on: every default applied, every rule checked. */
export type EnvironmentSpec = z.output<typeof environmentRequestSchema>;
export type ServiceSpec = EnvironmentSpec['services'][number];
export type JobSpec = EnvironmentSpec['jobs'][number];
export type Capacity = EnvironmentSpec['cluster']['capacity'];
export type PlacementPreset = NonNullable<ServiceSpec['placement']>['preset'];

// ---------------------------------------------------------------------------------------------
// Placement presets → ECS.
// ---------------------------------------------------------------------------------------------

/** ECS `PlacementStrategy` / `PlacementConstraint` shapes, without importing the SDK. */
export interface PlacementStrategy {
  type: 'spread' | 'binpack' | 'random';
  field?: string;
}
export interface PlacementConstraint {
  type: 'memberOf' | 'distinctInstance';
  expression?: string;
}
export interface ResolvedPlacement {
  placementStrategy: PlacementStrategy[];
  placementConstraints: PlacementConstraint[];
}

const AZ_SPREAD: PlacementStrategy = { type: 'spread', field: 'attribute:ecs.availability-zone' };

const PRESETS: Record<Exclude<PlacementPreset, 'custom'>, ResolvedPlacement> = {
  'az-balanced-spread': {
    placementStrategy: [AZ_SPREAD, { type: 'spread', field: 'instanceId' }],
    placementConstraints: [],
  },
  'az-balanced-binpack': {
    placementStrategy: [AZ_SPREAD, { type: 'binpack', field: 'memory' }],
    placementConstraints: [],
  },
  binpack: { placementStrategy: [{ type: 'binpack', field: 'memory' }], placementConstraints: [] },
  'one-task-per-host': { placementStrategy: [], placementConstraints: [{ type: 'distinctInstance' }] },
};

/** The ECS placement of a service: its preset expanded, or its custom rules; none without placement. */
export function resolvePlacement(service: Pick<ServiceSpec, 'placement'>): ResolvedPlacement {
  const { placement } = service;
  if (!placement) return { placementStrategy: [], placementConstraints: [] };
  if (placement.preset === 'custom') {
    return {
      placementStrategy: (placement.strategies ?? []).map((strategy) => ({ ...strategy })),
      placementConstraints: (placement.constraints ?? []).map((constraint) => ({ ...constraint })),
    };
  }
  const preset = PRESETS[placement.preset];
  // Copies, so that a caller editing the result cannot change the preset table.
  return {
    placementStrategy: preset.placementStrategy.map((strategy) => ({ ...strategy })),
    placementConstraints: preset.placementConstraints.map((constraint) => ({ ...constraint })),
  };
}

// ---------------------------------------------------------------------------------------------
// Errors for problem+json.
// ---------------------------------------------------------------------------------------------

export { formatIssues, toJsonPointer } from './issues';
