import type { AccessRequest } from './iam/access';
import type { IamState, Principal } from './iam/identities';

/**
 * The simulator's kernel: what every simulated service shares. A service is a table of operations
 * (plain functions from a parsed input to a plain output); the server owns the wire protocols,
 * rate limits and fault injection, so a service module only states AWS behaviour.
 *
 * Time: every timestamp here is *simulated* epoch milliseconds from `clock.now()`. Durations are
 * given in AWS seconds (`clock.deadline(180)` = "three minutes from now in AWS time"); the time
 * scale maps them onto wall time (scale 0.01 → a 180 s NAT wait takes 1.8 s of wall time).
 */

export class AwsError extends Error {
  constructor(
    /** The AWS error code, exactly as AWS spells it (`InvalidVpcID.NotFound`). */
    readonly code: string,
    message: string,
    /** HTTP status AWS answers with (EC2 client errors are 400; throttling is 503 on EC2). */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AwsError';
  }
}

/** A scaled clock. Simulated time runs 1/scale times faster than wall time. */
export class SimClock {
  private realAnchor = Date.now();
  private simAnchor = this.realAnchor;

  constructor(private currentScale = 1) {
    if (!(currentScale > 0)) throw new RangeError('time scale must be > 0');
  }

  get scale(): number {
    return this.currentScale;
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.simAnchor + (Date.now() - this.realAnchor) / this.currentScale;
  }

  /** Change the scale without a jump in simulated time. */
  setScale(scale: number): void {
    if (!(scale > 0)) throw new RangeError('time scale must be > 0');
    this.simAnchor = this.now();
    this.realAnchor = Date.now();
    this.currentScale = scale;
  }

  /** Simulated timestamp `awsSeconds` from now. */
  deadline(awsSeconds: number): number {
    return this.now() + awsSeconds * 1000;
  }

  /** True once the simulated time has reached `timestamp`. */
  reached(timestamp: number | undefined): boolean {
    return timestamp !== undefined && this.now() >= timestamp;
  }

  /** Wall-clock milliseconds that `awsSeconds` of simulated time take. */
  realMillis(awsSeconds: number): number {
    return awsSeconds * 1000 * this.currentScale;
  }
}

/** Every simulated resource. Service modules extend it with their own fields. */
export interface SimResource {
  /** Inventory type, kebab-case and stable (`vpc`, `subnet`, `nat-gateway`, `load-balancer`, `ecs-service`). */
  type: string;
  /** The AWS identifier (`vpc-0a1b…`, an ARN for ARN-identified resources, a name for log groups). */
  id: string;
  arn?: string;
  tags: Record<string, string>;
  /** Simulated creation time. */
  createdAt: number;
  /**
   * Simulated time after which the resource no longer exists (a deleting NAT gateway, a released ENI).
   * The store hides and purges it from then on, so "deletion takes time" needs no timers.
   */
  goneAt?: number;
  /**
   * Simulated time from which the resource no longer exists for AWS, though Describe still lists its
   * record (an INACTIVE ECS service, a STOPPED task, a `deleted` NAT gateway) until `goneAt`. The
   * inventory leaves such records out: they cost nothing and block nothing.
   */
  endedAt?: number;
  /**
   * Simulated time before which calls that name the resource's id answer its NotFound code, though
   * it exists (read-after-create consistency; see `ConsistencyModel`). Absent: visible at once.
   */
  visibleAt?: number;
}

/** In-memory inventory shared by all simulated services (cross-service dependencies live here). */
export class ResourceStore {
  private readonly byType = new Map<string, Map<string, SimResource>>();

  constructor(private readonly clock: SimClock) {}

  put<T extends SimResource>(resource: T): T {
    let table = this.byType.get(resource.type);
    if (!table) {
      table = new Map();
      this.byType.set(resource.type, table);
    }
    table.set(resource.id, resource);
    return resource;
  }

  get<T extends SimResource>(type: T['type'], id: string): T | undefined {
    const resource = this.byType.get(type)?.get(id);
    if (!resource) return undefined;
    if (this.clock.reached(resource.goneAt)) {
      this.byType.get(type)?.delete(id);
      return undefined;
    }
    return resource as T;
  }

  /** The resource, or the given AWS error (each service names its own NotFound code). */
  require<T extends SimResource>(type: T['type'], id: string, notFound: () => AwsError): T {
    const resource = this.get<T>(type, id);
    if (!resource) throw notFound();
    return resource;
  }

  /** Live resources of a type, in creation order. */
  list<T extends SimResource>(type: T['type']): T[] {
    const table = this.byType.get(type);
    if (!table) return [];
    const live: T[] = [];
    for (const [id, resource] of table) {
      if (this.clock.reached(resource.goneAt)) table.delete(id);
      else live.push(resource as T);
    }
    return live;
  }

  delete(type: string, id: string): boolean {
    return this.byType.get(type)?.delete(id) ?? false;
  }

  /** Every live resource of every type (the `/_local/resources` inventory). */
  all(): SimResource[] {
    return [...this.byType.keys()].flatMap((type) => this.list(type));
  }

  reset(): void {
    this.byType.clear();
    for (const hook of this.resetHooks) hook();
  }

  private readonly resetHooks: Array<() => void> = [];

  /** Registers state kept beside the store (EventBridge's event log) that a reset must clear too. */
  onReset(hook: () => void): void {
    this.resetHooks.push(hook);
  }
}

/** AWS-style identifiers: `vpc-` + 17 hex digits, as EC2 issues them. */
export class IdGenerator {
  private counter = 0;

  /** `random` makes ids reproducible when the simulator is seeded (default `Math.random`). */
  constructor(private readonly random: () => number = Math.random) {}

  hex(length: number): string {
    this.counter += 1;
    const random = Array.from({ length }, () => Math.floor(this.random() * 16).toString(16)).join('');
    const sequence = this.counter.toString(16);
    return (random.slice(0, Math.max(0, length - sequence.length)) + sequence).slice(-length);
  }

  /** An EC2 resource id such as `vpc-0f3c2a…` (17 hex digits). */
  ec2(prefix: string): string {
    return `${prefix}-${this.hex(17)}`;
  }

  uuid(): string {
    const hex = this.hex(32);
    // Version 4 layout, so ids look like the request ids and tokens AWS issues.
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

/** What an operation is handed besides its input. */
export interface SimContext {
  readonly clock: SimClock;
  /** Roles, issued credentials and enforcement (services check the roles they act as: ECS, Scheduler, Pipes). */
  readonly iam: IamState;
  /** The role session that signed this call; undefined for the operator's credentials. */
  readonly caller?: Principal;
  readonly store: ResourceStore;
  readonly ids: IdGenerator;
  readonly region: string;
  readonly accountId: string;
  /** Options of the latency model (see latency.ts); services read durations from here. */
  readonly latency: LatencyModel;
  /** Random numbers for the latency model (seedable in tests). */
  readonly random: () => number;
  /** Read-after-create consistency (switchable at run time through `/_local/consistency`). */
  readonly consistency: ConsistencyModel;
}

/**
 * Read-after-create consistency (docs/aws-facts.md#ec2-eventual-consistency-and-per-api-throttling):
 * for a while after a create, AWS answers NotFound to calls that name the new id. The window of each
 * new resource is drawn from `windowSeconds` (AWS seconds, scaled by the time scale like every other
 * duration) with `random`, a stream apart from the latency model's, so that turning the windows on
 * or off does not change the ids and latencies a seed gives.
 */
export interface ConsistencyModel {
  enabled: boolean;
  windowSeconds: [number, number];
  readonly random: () => number;
}

/** Durations in AWS seconds, as [min, max]; a value is drawn uniformly for each resource. */
export interface LatencyModel {
  natGatewayAvailable: [number, number];
  natGatewayDeleted: [number, number];
  /** Probability that a NAT gateway ends `failed` instead of `available`. */
  natGatewayFailureRate: number;
  /** How long a new NAT gateway id is invisible to Describe (eventual consistency). */
  natGatewayVisible: [number, number];
  loadBalancerActive: [number, number];
  loadBalancerDeleted: [number, number];
  /** ENIs left behind by a deleted NAT gateway or load balancer, or a stopped task. */
  eniRelease: [number, number];
  taskRunning: [number, number];
  taskStopped: [number, number];
  ec2InstanceRunning: [number, number];
  ec2InstanceTerminated: [number, number];
  /** Target-group deregistration delay is taken from the target group's attribute. */
  route53Sync: [number, number];
  /** EventBridge Pipes: how long CREATING/UPDATING/STARTING/STOPPING/DELETING last (default [20, 60]). */
  pipeTransition?: [number, number];
  /** EventBridge Scheduler: how long a deleted schedule group stays DELETING (default [5, 15]). */
  scheduleGroupDeleted?: [number, number];
}

/** Input of an operation: the protocol layer turns query strings, JSON and XML into this. */
export type OperationInput = Record<string, unknown>;

/** The IAM requests one operation makes, given its input (and the store, for tags of existing resources). */
export type Authorizer = (input: OperationInput, ctx: SimContext) => AccessRequest[];

/**
 * An operation returns the response body as a plain object (the protocol layer serialises it), or a
 * promise of one. REST operations that must set a status or headers (Route 53's 201 + `Location`)
 * return an `HttpAnswer` instead.
 */
export type Operation = (input: OperationInput, ctx: SimContext) => unknown;

/** A response body with an explicit HTTP status and headers (honoured by the REST protocols). */
export class HttpAnswer {
  constructor(
    readonly body: unknown,
    readonly status?: number,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * Wire protocols, named as in the AWS service models:
 * - `ec2`: EC2 query (form-encoded `Action=`; XML answer; lists as `<item>`),
 * - `query`: awsQuery (ELBv2, Auto Scaling, STS; XML answer wrapped in `<XResponse><XResult>`; lists as `<member>`),
 * - `json`: awsJson 1.0/1.1 (`X-Amz-Target: Prefix.Operation`),
 * - `rest-json` / `rest-xml`: operations found by method and path (Scheduler, Pipes / Route 53).
 */
export type Protocol = 'ec2' | 'query' | 'json' | 'rest-json' | 'rest-xml';

/** A REST route: `path` with `{label}` segments (a trailing `{label+}` takes the rest). */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  operation: string;
  /** HTTP status of a success (default 200). */
  successStatus?: number;
}

/** A token bucket: `burst` requests at once, refilled at `refillPerSecond` (per simulated second). */
export interface RateLimit {
  burst: number;
  refillPerSecond: number;
}

export interface ServiceDefinition {
  /** The SigV4 credential-scope service name the SDK signs with (`ec2`, `elasticloadbalancing`, `ecs`…). */
  signingName: string;
  protocol: Protocol;
  /** awsJson: the `X-Amz-Target` prefix (`AmazonEC2ContainerServiceV20141113`). */
  targetPrefix?: string;
  /** awsJson: `1.0` or `1.1` (content type `application/x-amz-json-1.x`). */
  jsonVersion?: '1.0' | '1.1';
  /** awsJson services that AWS still serves over awsQuery too (SQS): form-encoded requests take that path. */
  legacyQuery?: boolean;
  /** XML protocols: the namespace of responses (`http://ec2.amazonaws.com/doc/2016-11-15/`). */
  xmlNamespace?: string;
  /** REST protocols: the routes. */
  routes?: RestRoute[];
  operations: Record<string, Operation>;
  /**
   * Rate-limit category of each operation (unlisted operations use `default`). The input is passed too,
   * because AWS buckets some calls by their shape (EC2: unfiltered, unpaginated Describe* cost more).
   */
  rateLimitCategory?: (operation: string, input: OperationInput) => string;
  /**
   * The bucket an operation draws from when it is not its category's own (EC2: one bucket per
   * action, each sized by its category). Default: the category.
   */
  rateLimitBucket?: (operation: string, input: OperationInput) => string;
  rateLimits?: Record<string, RateLimit>;
  /** The throttling answer of this service (code and HTTP status), e.g. EC2 `RequestLimitExceeded` 503. */
  throttle?: { code: string; status: number; message: string };
  /** The IAM action prefix when it differs from `signingName` (for every service here it is the same). */
  iamPrefix?: string;
  /**
   * The IAM requests of each operation (see iam/access.ts); an operation without an entry is
   * `<iamPrefix>:<Operation>` on `*`.
   */
  authorize?: Record<string, Authorizer>;
  /** This service's refusal (default by protocol: EC2 `UnauthorizedOperation` 403, query `AccessDenied` 403, JSON `AccessDeniedException`). */
  accessDenied?: { code: string; status: number };
  /** What the account holds before any call (EC2's default VPC): run at start and after every reset. */
  seed?: (ctx: SimContext) => void;
}
