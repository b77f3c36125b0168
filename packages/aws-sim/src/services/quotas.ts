/**
 * The account's service quotas: AWS's default values of the quotas berth's resources count against,
 * the values the control API sets instead (`PUT /_local/quotas`), and the check the simulated create
 * operations make before they create anything. A create past a quota fails with the owning service's
 * own error (`VpcLimitExceeded`, `TooManyLoadBalancers` …), as AWS answers; the Service Quotas API
 * (service-quotas.ts) reads the same values. Defaults and codes: docs/aws-facts.md#account-quotas-and-the-service-quotas-api
 *
 * State lives beside the resource store, one per simulator, and a reset forgets the overrides and
 * turns enforcement back on.
 */
import { AwsError, type ResourceStore, type SimContext, type SimResource } from '../kernel';

export interface QuotaDefinition {
  /** Service Quotas' service code (`vpc`, `ec2`, `elasticloadbalancing`, `fargate`). */
  serviceCode: string;
  serviceName: string;
  /** Service Quotas' quota code (`L-F678F1CE`). */
  quotaCode: string;
  quotaName: string;
  /** AWS's default value for an account. */
  defaultValue: number;
  adjustable: boolean;
  description: string;
}

const VPC = { serviceCode: 'vpc', serviceName: 'Amazon Virtual Private Cloud (Amazon VPC)' };
const EC2 = { serviceCode: 'ec2', serviceName: 'Amazon Elastic Compute Cloud (Amazon EC2)' };
const ELB = { serviceCode: 'elasticloadbalancing', serviceName: 'Elastic Load Balancing (ELB)' };
const FARGATE = { serviceCode: 'fargate', serviceName: 'AWS Fargate' };

/** The quotas the simulator knows, with AWS's defaults (per Region unless the name says otherwise). */
export const QUOTA_DEFINITIONS: readonly QuotaDefinition[] = [
  {
    ...VPC,
    quotaCode: 'L-F678F1CE',
    quotaName: 'VPCs per Region',
    defaultValue: 5,
    adjustable: true,
    description: 'The maximum number of VPCs per Region. The default VPC counts toward it.',
  },
  {
    ...VPC,
    quotaCode: 'L-A4707A72',
    quotaName: 'Internet gateways per Region',
    defaultValue: 5,
    adjustable: true,
    description: 'The maximum number of internet gateways per Region.',
  },
  {
    ...VPC,
    quotaCode: 'L-FE5A380F',
    quotaName: 'NAT gateways per Availability Zone',
    defaultValue: 5,
    adjustable: true,
    description: 'The maximum number of NAT gateways per Availability Zone.',
  },
  {
    ...EC2,
    quotaCode: 'L-0263D0A3',
    quotaName: 'EC2-VPC Elastic IPs',
    defaultValue: 5,
    adjustable: true,
    description: 'The maximum number of Elastic IP addresses per Region.',
  },
  {
    ...ELB,
    quotaCode: 'L-53DA6B97',
    quotaName: 'Application Load Balancers per Region',
    defaultValue: 50,
    adjustable: true,
    description: 'The maximum number of Application Load Balancers per Region.',
  },
  {
    ...ELB,
    quotaCode: 'L-B22855CB',
    quotaName: 'Target Groups per Region',
    defaultValue: 3000,
    adjustable: true,
    description: 'The maximum number of target groups per Region.',
  },
  {
    ...ELB,
    quotaCode: 'L-B6DF7632',
    quotaName: 'Listeners per Application Load Balancer',
    defaultValue: 50,
    adjustable: true,
    description: 'The maximum number of listeners per Application Load Balancer.',
  },
  {
    ...ELB,
    quotaCode: 'L-7EED9B64',
    quotaName: 'Rules per Application Load Balancer',
    defaultValue: 100,
    adjustable: true,
    description: 'The maximum number of rules per Application Load Balancer, default rules excluded.',
  },
  {
    ...FARGATE,
    quotaCode: 'L-3032A538',
    quotaName: 'Fargate On-Demand vCPU resource count',
    defaultValue: 4000,
    adjustable: true,
    description: 'The number of Fargate vCPUs running concurrently as On-Demand tasks.',
  },
  {
    ...FARGATE,
    quotaCode: 'L-36FBB829',
    quotaName: 'Fargate Spot vCPU resource count',
    defaultValue: 4000,
    adjustable: true,
    description: 'The number of Fargate vCPUs running concurrently as Spot tasks.',
  },
];

/** `<serviceCode>/<quotaCode>`, the key the control API takes (`vpc/L-F678F1CE`). */
export type QuotaKey = `${string}/${string}`;

const keyOf = (definition: Pick<QuotaDefinition, 'serviceCode' | 'quotaCode'>): QuotaKey =>
  `${definition.serviceCode}/${definition.quotaCode}`;

const definitions = new Map(QUOTA_DEFINITIONS.map((definition) => [keyOf(definition), definition]));

export function quotaDefinition(serviceCode: string, quotaCode: string): QuotaDefinition | undefined {
  return definitions.get(`${serviceCode}/${quotaCode}`);
}

interface QuotaState {
  enforce: boolean;
  /** Applied values that differ from the defaults (as after an approved increase). */
  values: Map<QuotaKey, number>;
  /** RequestServiceQuotaIncrease's requests; AWS reviews them, so they stay PENDING here. */
  requests: Array<Record<string, unknown>>;
}

const states = new WeakMap<ResourceStore, QuotaState>();

function stateOf(ctx: Pick<SimContext, 'store'>): QuotaState {
  let state = states.get(ctx.store);
  if (!state) {
    const created: QuotaState = { enforce: true, values: new Map(), requests: [] };
    states.set(ctx.store, created);
    ctx.store.onReset(() => {
      created.enforce = true;
      created.values.clear();
      created.requests.length = 0;
    });
    state = created;
  }
  return state;
}

/** The value in force for a known quota. */
export function appliedValue(ctx: Pick<SimContext, 'store'>, definition: QuotaDefinition): number {
  return stateOf(ctx).values.get(keyOf(definition)) ?? definition.defaultValue;
}

export function quotaRequests(ctx: Pick<SimContext, 'store'>): Array<Record<string, unknown>> {
  return stateOf(ctx).requests;
}

/** What `GET /_local/quotas` shows: enforcement and every quota's value in force. */
export function quotaSettings(ctx: Pick<SimContext, 'store'>): {
  enforce: boolean;
  quotas: Record<QuotaKey, { name: string; value: number; defaultValue: number }>;
} {
  const quotas: Record<QuotaKey, { name: string; value: number; defaultValue: number }> = {};
  for (const definition of QUOTA_DEFINITIONS) {
    quotas[keyOf(definition)] = {
      name: definition.quotaName,
      value: appliedValue(ctx, definition),
      defaultValue: definition.defaultValue,
    };
  }
  return { enforce: stateOf(ctx).enforce, quotas };
}

/**
 * `PUT /_local/quotas`: `{ enforce?: boolean, quotas?: { "vpc/L-F678F1CE": 10, … } }` (or the quota
 * values at the top level); `null` returns a quota to its default. Throws a message on anything else
 * and changes nothing then.
 */
export function updateQuotaSettings(ctx: Pick<SimContext, 'store'>, body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error('body must be an object');
  const { enforce, quotas, ...rest } = body as Record<string, unknown>;
  if (enforce !== undefined && typeof enforce !== 'boolean') throw new Error('enforce must be true or false');
  const values = quotas === undefined ? rest : quotas;
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new Error('quotas must be an object of "<serviceCode>/<quotaCode>": value');
  const changes: Array<[QuotaKey, number | null]> = [];
  for (const [key, value] of Object.entries(values)) {
    const definition = definitions.get(key as QuotaKey);
    if (!definition)
      throw new Error(`unknown quota ${key}: use one of ${[...definitions.keys()].join(', ')}`);
    if (value !== null && (typeof value !== 'number' || !Number.isInteger(value) || value < 0))
      throw new Error(`${key} must be a whole number >= 0, or null for the default`);
    changes.push([keyOf(definition), value]);
  }
  const state = stateOf(ctx);
  if (enforce !== undefined) state.enforce = enforce;
  for (const [key, value] of changes) {
    if (value === null) state.values.delete(key);
    else state.values.set(key, value);
  }
}

/**
 * Refuses a create of `requested` more (default 1) that would take `inUse` past the quota `serviceCode/quotaCode` (when enforcement
 * is on) with the owning service's error; `inUse` is what exists before the create.
 */
export function requireWithinQuota(
  ctx: Pick<SimContext, 'store'>,
  serviceCode: string,
  quotaCode: string,
  inUse: number,
  refusal: () => AwsError,
  requested = 1,
): void {
  const state = stateOf(ctx);
  if (!state.enforce) return;
  const definition = quotaDefinition(serviceCode, quotaCode);
  if (!definition) throw new AwsError('InternalError', `unknown quota ${serviceCode}/${quotaCode}`, 500);
  if (inUse + requested > appliedValue(ctx, definition)) throw refusal();
}

/** True while quotas are enforced (other services check it before a count that costs a scan). */
export function quotasEnforced(ctx: Pick<SimContext, 'store'>): boolean {
  return stateOf(ctx).enforce;
}

/**
 * ECS's reason when a Fargate task would take the account past its vCPU quota: a RunTask `failures`
 * entry, and the service event "service X was unable to place a task. Reason: …" (ECS troubleshooting,
 * service event messages). docs/aws-facts.md#account-quotas-and-the-service-quotas-api
 */
export const FARGATE_VCPU_LIMIT_REASON =
  'You’ve reached the limit on the number of vCPUs you can run concurrently';

interface FargateTaskShape {
  launchType?: string;
  capacityProviderName?: string;
  cpu?: string;
  stoppedAt?: number;
}

function fargateQuotaCode(task: { launchType?: string; capacityProviderName?: string }): string | undefined {
  if (task.capacityProviderName === 'FARGATE_SPOT') return 'L-36FBB829';
  if (task.capacityProviderName === 'FARGATE' || task.launchType === 'FARGATE') return 'L-3032A538';
  return undefined;
}

const vcpusOf = (cpu: string | undefined) => Number(cpu ?? '0') / 1024 || 0;

/**
 * ECS's refusal reason when starting `task` (its launch type or first capacity provider, and its
 * task-level cpu units) would take the Fargate vCPUs running at `at` past their quota; undefined
 * when it fits, for tasks on EC2, and while quotas are not enforced.
 */
export function fargateVcpuRefusal(
  ctx: Pick<SimContext, 'store'>,
  task: { launchType?: string; capacityProviderName?: string; cpu?: string },
  at: number,
): string | undefined {
  const quotaCode = fargateQuotaCode(task);
  if (!quotaCode || !quotasEnforced(ctx)) return undefined;
  const running = ctx.store
    .list<FargateTaskShape & SimResource>('ecs-task')
    .filter(
      (other) =>
        (other.stoppedAt === undefined || other.stoppedAt > at) && fargateQuotaCode(other) === quotaCode,
    )
    .reduce((sum, other) => sum + vcpusOf(other.cpu), 0);
  const definition = quotaDefinition('fargate', quotaCode);
  if (!definition) return undefined;
  return running + vcpusOf(task.cpu) > appliedValue(ctx, definition) ? FARGATE_VCPU_LIMIT_REASON : undefined;
}

/** What `fargateVcpuRefusal` needs of a task about to start, from ECS's placement and task definition. */
export function fargateTaskOf(
  placement: { launchType?: string; capacityProviderStrategy: ReadonlyArray<{ capacityProvider: string }> },
  definition: { body: Record<string, unknown> },
): { launchType?: string; capacityProviderName?: string; cpu?: string } {
  const provider = placement.capacityProviderStrategy[0]?.capacityProvider;
  return {
    ...(placement.launchType ? { launchType: placement.launchType } : {}),
    ...(provider ? { capacityProviderName: provider } : {}),
    ...(typeof definition.body.cpu === 'string' ? { cpu: definition.body.cpu } : {}),
  };
}
