/**
 * The simulator without HTTP: shared state (clock, inventory, ids, random), the registered services,
 * and one call's path — find the service, parse with its protocol, count, throttle, inject faults,
 * run the operation, serialise. server.ts puts it on a port; tests may also drive it directly.
 */
import { FaultInjector, type FaultSpec } from './faults';
import type { AccessRequest } from './iam/access';
import { denialMessage, IamState, type Principal } from './iam/identities';
import { iamFromTemplate } from './iam/template';
import {
  AwsError,
  IdGenerator,
  type LatencyModel,
  type OperationInput,
  ResourceStore,
  type ServiceDefinition,
  SimClock,
  type SimContext,
  type SimResource,
} from './kernel';
import { defaultLatencyModel } from './latency';
import { formPairs } from './protocols/form';
import { protocols, type SimRequest, type SimResponse } from './protocols/index';
import { seededRandom } from './random';
import { RateLimiter, type RateLimitOptions } from './rate-limit';

export interface SimulatorOptions {
  /** Simulated seconds per wall second is 1/timeScale (default 1: real AWS durations). */
  timeScale?: number;
  /** `false` switches throttling off; an object keeps it on with per-bucket overrides (`{ 'ec2:mutating': { burst: 5 } }`). */
  rateLimits?: boolean | { overrides?: RateLimitOptions['overrides'] };
  /** Faults installed at start. */
  faults?: FaultSpec[];
  region?: string;
  accountId?: string;
  /** Seed of the random source (ids, latencies, failures, probabilistic faults); unseeded uses Math.random. */
  seed?: number;
  /** Overrides of the latency model (AWS seconds). */
  latency?: Partial<LatencyModel>;
  /** The services to serve (default: `services/index.ts`). */
  services?: ServiceDefinition[];
  /** Where to log unexpected errors (default: console.error). */
  log?: (line: string) => void;
  /** IAM: enforcement (default on) for role sessions whose credentials the simulator issued. */
  iam?: { enforce?: boolean };
  /**
   * Read-after-create consistency windows (default on, 1–3 AWS seconds per new EC2 id); `false`
   * switches them off.
   */
  consistency?: boolean | { windowSeconds?: [number, number] };
}

/** How long a new EC2 id stays unknown to calls naming it, in AWS seconds (AWS publishes no figure). */
export const defaultConsistencyWindow: [number, number] = [1, 3];

export interface CallCount {
  /** Every call that named this operation, including throttled, faulted and failed ones. */
  count: number;
  throttled: number;
  faulted: number;
  /** Calls the operation itself answered with an error. */
  failed: number;
  /** Calls IAM refused (counted in `failed` too). */
  denied: number;
}

const credentialScope = /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/;
const credentialAccessKey = /Credential=([^/,\s]+)\//;

/** AWS's refusal by protocol, where a service does not state its own. */
const ACCESS_DENIED_BY_PROTOCOL: Record<ServiceDefinition['protocol'], { code: string; status: number }> = {
  ec2: { code: 'UnauthorizedOperation', status: 403 },
  query: { code: 'AccessDenied', status: 403 },
  json: { code: 'AccessDeniedException', status: 400 },
  'rest-json': { code: 'AccessDeniedException', status: 403 },
  'rest-xml': { code: 'AccessDenied', status: 403 },
};

export class Simulator {
  readonly clock: SimClock;
  readonly store: ResourceStore;
  readonly ids: IdGenerator;
  readonly random: () => number;
  readonly ctx: SimContext;
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly iam: IamState;
  private readonly services = new Map<string, ServiceDefinition>();
  private calls = new Map<string, Map<string, CallCount>>();
  private readonly log: (line: string) => void;

  constructor(options: SimulatorOptions & { services: ServiceDefinition[] }) {
    this.clock = new SimClock(options.timeScale ?? 1);
    this.store = new ResourceStore(this.clock);
    this.random = options.seed === undefined ? Math.random : seededRandom(options.seed);
    this.ids = new IdGenerator(this.random);
    this.iam = new IamState(options.accountId ?? '000000000000', { enforce: options.iam?.enforce ?? true });
    this.ctx = {
      clock: this.clock,
      iam: this.iam,
      store: this.store,
      ids: this.ids,
      region: options.region ?? 'us-east-1',
      accountId: options.accountId ?? '000000000000',
      latency: { ...defaultLatencyModel, ...options.latency },
      random: this.random,
      consistency: {
        enabled: options.consistency !== false,
        windowSeconds:
          (typeof options.consistency === 'object' ? options.consistency.windowSeconds : undefined) ??
          defaultConsistencyWindow,
        // A stream of its own: switching the windows on or off leaves a seed's ids and latencies alone.
        random: options.seed === undefined ? Math.random : seededRandom(options.seed ^ 0x5eed),
      },
    };
    const rateLimits = options.rateLimits ?? true;
    this.limiter = new RateLimiter(this.clock, {
      enabled: rateLimits !== false,
      overrides: typeof rateLimits === 'object' ? (rateLimits.overrides ?? {}) : {},
    });
    this.faults = new FaultInjector(this.random);
    this.faults.add(options.faults ?? []);
    for (const service of options.services) this.services.set(service.signingName, service);
    this.log = options.log ?? ((line) => console.error(line));
    this.seed();
  }

  /** The resources an account has before anyone calls (each service's `seed`). */
  private seed(): void {
    for (const service of this.services.values()) service.seed?.(this.ctx);
  }

  serviceNames(): string[] {
    return [...this.services.keys()].sort();
  }

  /** The service a request is for: the SigV4 credential scope, else `X-Amz-Target`, else `Action`. */
  findService(request: SimRequest): ServiceDefinition | undefined {
    const scope =
      credentialScope.exec(request.headers.authorization ?? '')?.[1] ??
      credentialScope.exec(`Credential=${request.query.get('X-Amz-Credential') ?? ''}`)?.[1];
    const bySigningName = scope === undefined ? undefined : this.services.get(scope);
    if (bySigningName) return bySigningName;
    const target = request.headers['x-amz-target'];
    if (target) {
      const prefix = target.slice(0, target.lastIndexOf('.'));
      for (const service of this.services.values()) if (service.targetPrefix === prefix) return service;
    }
    const action = new Map(formPairs(request.body, request.query)).get('Action');
    if (action) {
      for (const service of this.services.values()) {
        if ((service.protocol === 'ec2' || service.protocol === 'query') && action in service.operations)
          return service;
      }
    }
    return undefined;
  }

  async handle(request: SimRequest): Promise<SimResponse> {
    const requestId = this.ids.uuid();
    const response = await this.dispatch(request, requestId);
    // SDK v3 reads `$metadata.requestId` from this header whatever the protocol.
    response.headers['x-amzn-requestid'] = requestId;
    return response;
  }

  private async dispatch(request: SimRequest, requestId: string): Promise<SimResponse> {
    const service = this.findService(request);
    if (!service) {
      return {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ __type: 'UnknownService', message: 'No simulated service for this request' }),
      };
    }
    const protocol = protocolOf(service, request);
    let counter: CallCount | undefined;
    try {
      const { operation, input } = protocol.parse(request, service);
      counter = this.counter(service.signingName, operation);
      counter.count += 1;
      const run = service.operations[operation];
      if (!run) throw protocol.unknownOperation(operation, service);
      if (!this.limiter.tryTake(service, operation, input)) {
        counter.throttled += 1;
        const throttle = service.throttle ?? {
          code: 'ThrottlingException',
          status: 400,
          message: 'Rate exceeded',
        };
        return protocol.failure(
          new AwsError(throttle.code, throttle.message, throttle.status),
          service,
          requestId,
        );
      }
      const caller = this.iam.principalOf(accessKeyOf(request));
      const callContext = caller ? { ...this.ctx, caller } : this.ctx;
      if (caller && this.iam.enforce) {
        const refusal = this.refusal(service, operation, input, callContext, caller);
        if (refusal) {
          counter.denied += 1;
          throw refusal;
        }
      }
      const fault = this.faults.check(service.signingName, operation, input);
      if (fault) {
        counter.faulted += 1;
        return protocol.failure(fault, service, requestId);
      }
      const result = await run(input, callContext);
      return protocol.success(operation, result, service, requestId);
    } catch (error) {
      if (counter) counter.failed += 1;
      if (error instanceof AwsError) return protocol.failure(error, service, requestId);
      this.log(
        `simulator: ${service.signingName} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      return protocol.failure(
        new AwsError('InternalError', 'An internal error has occurred', 500),
        service,
        requestId,
      );
    }
  }

  /** The IAM requests of the call (see iam/access.ts), evaluated against the caller's role. */
  private refusal(
    service: ServiceDefinition,
    operation: string,
    input: OperationInput,
    ctx: SimContext,
    caller: Principal,
  ): AwsError | undefined {
    const authorizer = service.authorize?.[operation];
    const requests: AccessRequest[] = authorizer
      ? authorizer(input, ctx)
      : [{ action: `${service.iamPrefix ?? service.signingName}:${operation}`, resource: '*' }];
    const verdict = this.iam.authorize(caller, requests);
    if (verdict.allowed) return undefined;
    const denied = service.accessDenied ?? ACCESS_DENIED_BY_PROTOCOL[service.protocol];
    const message = denialMessage(caller.arn, verdict.request, verdict.decision);
    return new AwsError(
      denied.code,
      service.protocol === 'ec2' ? `You are not authorized to perform this operation. ${message}` : message,
      denied.status,
    );
  }

  private counter(service: string, operation: string): CallCount {
    let byOperation = this.calls.get(service);
    if (!byOperation) {
      byOperation = new Map();
      this.calls.set(service, byOperation);
    }
    let counter = byOperation.get(operation);
    if (!counter) {
      counter = { count: 0, throttled: 0, faulted: 0, failed: 0, denied: 0 };
      byOperation.set(operation, counter);
    }
    return counter;
  }

  /** Calls per service and operation since start or the last reset. */
  callCounts(): { total: number; calls: Record<string, Record<string, CallCount>> } {
    let total = 0;
    const calls: Record<string, Record<string, CallCount>> = {};
    for (const [service, byOperation] of [...this.calls].sort(([a], [b]) => a.localeCompare(b))) {
      const entries = [...byOperation].sort(([a], [b]) => a.localeCompare(b));
      calls[service] = Object.fromEntries(entries.map(([operation, counter]) => [operation, { ...counter }]));
      for (const [, counter] of entries) total += counter.count;
    }
    return { total, calls };
  }

  /** Live resources grouped by type, optionally only those carrying a tag (`key=value`, or `key` for any value). */
  inventory(
    filter: { tag?: string; type?: string; all?: boolean } = {},
  ): Record<string, Array<Omit<SimResource, 'type'>>> {
    const [tagKey, ...valueParts] = (filter.tag ?? '').split('=');
    const tagValue = valueParts.length > 0 ? valueParts.join('=') : undefined;
    const grouped: Record<string, Array<Omit<SimResource, 'type'>>> = {};
    for (const resource of this.store.all()) {
      if (filter.type && resource.type !== filter.type) continue;
      if (!filter.all && this.clock.reached(resource.endedAt)) continue;
      if (tagKey) {
        const value = resource.tags[tagKey];
        if (value === undefined || (tagValue !== undefined && value !== tagValue)) continue;
      }
      const { type, ...rest } = resource;
      grouped[type] ??= [];
      grouped[type].push(rest);
    }
    return grouped;
  }

  /**
   * Loads every `AWS::IAM::Role` of a CloudFormation template (the one the local stack runs) as a
   * role the simulator can issue credentials for, and every `AWS::IAM::ManagedPolicy` as a customer
   * managed policy (GetPolicy answers it; a role may use it as its permissions boundary); answers the
   * role names (`iam.listTemplatePolicies()` lists the policies).
   */
  loadTemplateRoles(template: unknown, stackName?: string): string[] {
    const { roles, policies } = iamFromTemplate(template, {
      region: this.ctx.region,
      accountId: this.ctx.accountId,
      ...(stackName ? { stackName } : {}),
    });
    this.iam.loadTemplatePolicies(new Set(policies.values()), this.clock.now());
    const unique = [...new Set(roles.values())];
    this.iam.loadTemplateRoles(unique, this.clock.now());
    return unique.map((role) => role.roleName);
  }

  /** Forget every resource, call count, fault and bucket level (the account's seeded resources come back); the time scale stays. */
  reset(): void {
    this.store.reset();
    this.calls = new Map();
    this.faults.clear();
    this.limiter.reset();
    this.iam.reset();
    this.seed();
  }
}

/** The access key a request was signed with (header or presigned query), if any. */
function accessKeyOf(request: SimRequest): string | undefined {
  return (
    credentialAccessKey.exec(request.headers.authorization ?? '')?.[1] ??
    (request.query.get('X-Amz-Credential')?.split('/')[0] || undefined)
  );
}

/**
 * The adapter for a request. SQS moved to awsJson 1.0, but the AWS CLI v2 and older SDKs still send
 * it form-encoded (`Action=CreateQueue`), which SQS keeps accepting: such requests take the query adapter.
 */
function protocolOf(service: ServiceDefinition, request: SimRequest) {
  const legacyQuery =
    service.protocol === 'json' &&
    service.legacyQuery === true &&
    request.headers['x-amz-target'] === undefined &&
    new Map(formPairs(request.body, request.query)).has('Action');
  return protocols[legacyQuery ? 'query' : service.protocol];
}
