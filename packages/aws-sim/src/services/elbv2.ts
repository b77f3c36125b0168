/**
 * Simulated Elastic Load Balancing v2 (awsQuery, API version 2015-12-01), Application Load Balancers
 * only: the load balancer, target group, listener, rule and tag operations berth's provisioning,
 * update and teardown call.
 *
 * Behaviour kept from AWS:
 * - CreateLoadBalancer, CreateTargetGroup and CreateListener are idempotent: the same name (port)
 *   with the same settings answers the existing resource; different settings fail with
 *   `DuplicateLoadBalancerName` / `DuplicateTargetGroupName` / `DuplicateListener`.
 * - A new ALB is `provisioning` until the latency model's `loadBalancerActive` has passed. It has one
 *   ENI per subnet (ec2 helpers); DeleteLoadBalancer removes its listeners and rules at once, the ALB
 *   itself after `loadBalancerDeleted`, and its ENIs `eniRelease` after that, so subnets and security
 *   groups answer `DependencyViolation` meanwhile. Deleting a missing ALB succeeds, as documented.
 * - Target health is computed from the clock: `initial` until interval × healthy threshold after
 *   registration, then `healthy`; a target whose simulated app fails the check (ECS tasks whose image
 *   contains `unhealthy`) turns `unhealthy` after interval × unhealthy threshold. Deregistered targets
 *   are `draining` for the group's `deregistration_delay.timeout_seconds` (default 300). Targets of a
 *   group no listener or rule forwards to are `unused` (`Target.NotInUse`).
 * - DeleteTargetGroup answers `ResourceInUse` while a listener or rule forwards to the group.
 * - Throttling is `Throttling` / 400 "Rate exceeded": describes 40 burst / 10 per s, others 20 / 5.
 *
 * Not simulated: Network and Gateway Load Balancers, instance/lambda targets, trust stores, mutual
 * TLS, capacity reservations, SetSubnets/SetSecurityGroups, certificate lists of listeners.
 *
 * Store types: `load-balancer`, `target-group`, `listener`, `listener-rule` (ids are their ARNs).
 */
import {
  AwsError,
  type OperationInput,
  type ServiceDefinition,
  type SimContext,
  type SimResource,
} from '../kernel';
import { drawSeconds } from '../latency';
import type { Subnet } from './ec2/model';
import { createNetworkInterface, releaseNetworkInterface } from './ec2/network-interfaces';
import { InputReader, type InvalidInput, isoTimestamp, paginate, tagListOf } from './operation-input';

// ---------------------------------------------------------------------------------------------
// Resources

export interface LoadBalancerResource extends SimResource {
  type: 'load-balancer';
  arn: string;
  name: string;
  /** `app/<name>/<16 hex>`: the part listener and rule ARNs repeat. */
  resourcePath: string;
  scheme: string;
  ipAddressType: string;
  vpcId: string;
  zones: Array<{ subnetId: string; zoneName: string; networkInterfaceId: string }>;
  securityGroups: string[];
  dnsName: string;
  activeAt: number;
  attributes: Record<string, string>;
}

interface HealthCheck {
  protocol: string;
  port: string;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher: string;
  enabled: boolean;
}

/** One registration of a target. `appHealthy` is whether the simulated app answers the health check. */
export interface TargetRecord {
  id: string;
  port: number;
  availabilityZone?: string;
  registeredAt: number;
  appHealthy: boolean;
  /** When deregistration started; the target is `draining` until `drainedAt`, then gone. */
  deregisteredAt?: number;
  drainedAt?: number;
}

export interface TargetGroupResource extends SimResource {
  type: 'target-group';
  arn: string;
  name: string;
  protocol: string;
  protocolVersion: string;
  port: number;
  vpcId: string;
  targetType: string;
  ipAddressType: string;
  healthCheck: HealthCheck;
  attributes: Record<string, string>;
  targets: TargetRecord[];
}

/** A listener or rule action, kept as AWS answers it (normalised from the input). */
type Action = Record<string, unknown>;

interface ListenerResource extends SimResource {
  type: 'listener';
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  sslPolicy?: string;
  certificates: Array<{ CertificateArn: string }>;
  defaultActions: Action[];
  /** The default rule is not stored: DescribeRules derives it from the listener under this ARN. */
  defaultRuleArn: string;
}

interface RuleResource extends SimResource {
  type: 'listener-rule';
  arn: string;
  listenerArn: string;
  priority: number;
  conditions: Record<string, unknown>[];
  actions: Action[];
}

// ---------------------------------------------------------------------------------------------
// Errors and helpers

const error = (code: string, message: string) => new AwsError(code, message, 400);
const validationError: InvalidInput = (message) => error('ValidationError', message);
const reader = (input: OperationInput) => new InputReader(input, validationError);

const loadBalancerNotFound = () => error('LoadBalancerNotFound', 'One or more load balancers not found');
const targetGroupNotFound = () => error('TargetGroupNotFound', 'One or more target groups not found');
const listenerNotFound = () => error('ListenerNotFound', 'One or more listeners not found');
const ruleNotFound = () => error('RuleNotFound', 'One or more rules not found');

const DEFAULT_LOAD_BALANCER_ATTRIBUTES: Record<string, string> = {
  'idle_timeout.timeout_seconds': '60',
  'deletion_protection.enabled': 'false',
  'routing.http2.enabled': 'true',
  'routing.http.drop_invalid_header_fields.enabled': 'false',
  'access_logs.s3.enabled': 'false',
  'access_logs.s3.bucket': '',
  'access_logs.s3.prefix': '',
};

const DEFAULT_TARGET_GROUP_ATTRIBUTES: Record<string, string> = {
  'deregistration_delay.timeout_seconds': '300',
  'stickiness.enabled': 'false',
  'stickiness.type': 'lb_cookie',
  'stickiness.lb_cookie.duration_seconds': '86400',
  'load_balancing.algorithm.type': 'round_robin',
  'slow_start.duration_seconds': '0',
};

/** Canonical hosted-zone ids of ALBs per Region (ELB endpoints table); us-east-1's otherwise. */
const ALB_HOSTED_ZONES: Record<string, string> = {
  'us-east-1': 'Z35SXDOTRQ7X7K',
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-west-1': 'Z368ELLRRE2KJ0',
  'us-west-2': 'Z1H1FL5HABSF5',
  'eu-west-1': 'Z32O12XQLNTSW2',
  'eu-central-1': 'Z215JYRZR1TBD5',
};

const arnPrefix = (ctx: SimContext) => `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.accountId}`;

/** Names of ALBs and target groups: 1–32 alphanumerics or hyphens, no hyphen at either end. */
function validateName(name: string, what: string): void {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(name)) {
    throw validationError(
      `${what} name '${name}' can have a maximum of 32 characters, can contain only alphanumeric characters and hyphens, and cannot begin or end with a hyphen`,
    );
  }
}

function readTags(r: InputReader): Record<string, string> {
  const tags = r.tagList('Tags');
  if (Object.keys(tags).length > 50)
    throw error('TooManyTags', 'You have reached the limit on the number of tags');
  return tags;
}

/** Structural equality of plain data, for the idempotent creates. */
function sameData(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------------------------
// Lookups shared with ECS

/** The VPC and zone of a subnet of the EC2 simulation, or undefined when it does not exist. */
function subnetPlacement(
  ctx: SimContext,
  subnetId: string,
): { vpcId: string; availabilityZone: string } | undefined {
  const subnet = ctx.store.get<Subnet>('subnet', subnetId);
  return subnet ? { vpcId: subnet.vpcId, availabilityZone: subnet.availabilityZone } : undefined;
}

export function findTargetGroup(ctx: SimContext, arn: string): TargetGroupResource | undefined {
  return ctx.store.get<TargetGroupResource>('target-group', arn);
}

function targetGroupArnsOf(actions: Action[]): string[] {
  const arns: string[] = [];
  for (const action of actions) {
    if (typeof action.TargetGroupArn === 'string') arns.push(action.TargetGroupArn);
    const forward = action.ForwardConfig;
    if (
      forward &&
      typeof forward === 'object' &&
      'TargetGroups' in forward &&
      Array.isArray(forward.TargetGroups)
    ) {
      for (const group of forward.TargetGroups) {
        if (group && typeof group === 'object' && typeof group.TargetGroupArn === 'string') {
          arns.push(group.TargetGroupArn);
        }
      }
    }
  }
  return [...new Set(arns)];
}

/** The load balancers whose listeners or rules forward to the target group. */
export function loadBalancersOf(ctx: SimContext, targetGroupArn: string): string[] {
  const listeners = ctx.store.list<ListenerResource>('listener');
  const byListener = new Map(listeners.map((listener) => [listener.arn, listener.loadBalancerArn]));
  const result = new Set<string>();
  for (const listener of listeners) {
    if (targetGroupArnsOf(listener.defaultActions).includes(targetGroupArn))
      result.add(listener.loadBalancerArn);
  }
  for (const rule of ctx.store.list<RuleResource>('listener-rule')) {
    const lb = byListener.get(rule.listenerArn);
    if (lb && targetGroupArnsOf(rule.actions).includes(targetGroupArn)) result.add(lb);
  }
  return [...result];
}

/** When a target registered at `registeredAt` passes (or fails) the group's health check. */
export function healthCheckVerdictAt(
  tg: TargetGroupResource,
  registeredAt: number,
  appHealthy: boolean,
): number {
  const checks = appHealthy ? tg.healthCheck.healthyThreshold : tg.healthCheck.unhealthyThreshold;
  return registeredAt + tg.healthCheck.intervalSeconds * checks * 1000;
}

export function deregistrationDelaySeconds(tg: TargetGroupResource): number {
  return Number(tg.attributes['deregistration_delay.timeout_seconds'] ?? '300');
}

/** Targets still registered or draining at `now` (purges drained ones). */
function liveTargets(ctx: SimContext, tg: TargetGroupResource): TargetRecord[] {
  tg.targets = tg.targets.filter((target) => !ctx.clock.reached(target.drainedAt));
  return tg.targets.filter((target) => ctx.clock.reached(target.registeredAt));
}

/**
 * Registers a target from `registeredAt` on (ECS registers a task's IP when it reaches RUNNING,
 * which may lie in the simulated future; the target stays invisible until then).
 */
export function registerTarget(ctx: SimContext, targetGroupArn: string, target: TargetRecord): void {
  const tg = findTargetGroup(ctx, targetGroupArn);
  if (!tg) return;
  tg.targets = tg.targets.filter(
    (existing) =>
      !(existing.id === target.id && existing.port === target.port) || existing.drainedAt !== undefined,
  );
  tg.targets.push(target);
}

/** Starts draining a target at `at`; answers when it is gone (at, if it was not registered). */
export function deregisterTarget(
  ctx: SimContext,
  targetGroupArn: string,
  id: string,
  port: number,
  at: number,
): number {
  const tg = findTargetGroup(ctx, targetGroupArn);
  if (!tg) return at;
  const target = tg.targets.find((t) => t.id === id && t.port === port && t.deregisteredAt === undefined);
  if (!target) return at;
  // A target that never became visible leaves at once; a registered one drains.
  if (target.registeredAt > at) {
    tg.targets = tg.targets.filter((t) => t !== target);
    return at;
  }
  target.deregisteredAt = at;
  target.drainedAt = at + deregistrationDelaySeconds(tg) * 1000;
  return target.drainedAt;
}

type HealthState = { State: string; Reason?: string; Description?: string };

function targetHealth(
  ctx: SimContext,
  tg: TargetGroupResource,
  target: TargetRecord,
  inUse: boolean,
): HealthState {
  if (target.deregisteredAt !== undefined) {
    return {
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
      Description: 'Target deregistration is in progress',
    };
  }
  if (!inUse) {
    return {
      State: 'unused',
      Reason: 'Target.NotInUse',
      Description: 'Target group is not configured to receive traffic from the load balancer',
    };
  }
  if (!tg.healthCheck.enabled) {
    return {
      State: 'unavailable',
      Reason: 'Target.HealthCheckDisabled',
      Description: 'Health checks are disabled',
    };
  }
  if (!ctx.clock.reached(healthCheckVerdictAt(tg, target.registeredAt, target.appHealthy))) {
    return {
      State: 'initial',
      Reason: 'Elb.RegistrationInProgress',
      Description: 'Target registration is in progress',
    };
  }
  if (target.appHealthy) return { State: 'healthy' };
  return {
    State: 'unhealthy',
    Reason: 'Target.ResponseCodeMismatch',
    Description: `Health checks failed with these codes: [500]`,
  };
}

// ---------------------------------------------------------------------------------------------
// Output shapes

function loadBalancerState(ctx: SimContext, lb: LoadBalancerResource): string {
  return ctx.clock.reached(lb.activeAt) ? 'active' : 'provisioning';
}

function loadBalancerOutput(ctx: SimContext, lb: LoadBalancerResource) {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: ALB_HOSTED_ZONES[ctx.region] ?? 'Z35SXDOTRQ7X7K',
    CreatedTime: isoTimestamp(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: loadBalancerState(ctx, lb) },
    Type: 'application',
    AvailabilityZones: lb.zones.map((zone) => ({
      ZoneName: zone.zoneName,
      SubnetId: zone.subnetId,
      LoadBalancerAddresses: [],
    })),
    SecurityGroups: lb.securityGroups,
    IpAddressType: lb.ipAddressType,
  };
}

function targetGroupOutput(ctx: SimContext, tg: TargetGroupResource) {
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: tg.healthCheck.protocol,
    HealthCheckPort: tg.healthCheck.port,
    HealthCheckEnabled: tg.healthCheck.enabled,
    HealthCheckIntervalSeconds: tg.healthCheck.intervalSeconds,
    HealthCheckTimeoutSeconds: tg.healthCheck.timeoutSeconds,
    HealthyThresholdCount: tg.healthCheck.healthyThreshold,
    UnhealthyThresholdCount: tg.healthCheck.unhealthyThreshold,
    HealthCheckPath: tg.healthCheck.path,
    Matcher: { HttpCode: tg.healthCheck.matcher },
    LoadBalancerArns: loadBalancersOf(ctx, tg.arn),
    TargetType: tg.targetType,
    ProtocolVersion: tg.protocolVersion,
    IpAddressType: tg.ipAddressType,
  };
}

function listenerOutput(listener: ListenerResource) {
  return {
    ListenerArn: listener.arn,
    LoadBalancerArn: listener.loadBalancerArn,
    Port: listener.port,
    Protocol: listener.protocol,
    ...(listener.certificates.length > 0 ? { Certificates: listener.certificates } : {}),
    ...(listener.sslPolicy ? { SslPolicy: listener.sslPolicy } : {}),
    DefaultActions: listener.defaultActions,
  };
}

function ruleOutput(rule: RuleResource) {
  return {
    RuleArn: rule.arn,
    Priority: String(rule.priority),
    Conditions: rule.conditions,
    Actions: rule.actions,
    IsDefault: false,
  };
}

function defaultRuleOutput(listener: ListenerResource) {
  return {
    RuleArn: listener.defaultRuleArn,
    Priority: 'default',
    Conditions: [],
    Actions: listener.defaultActions,
    IsDefault: true,
  };
}

// ---------------------------------------------------------------------------------------------
// Load balancers

function findLoadBalancerByName(ctx: SimContext, name: string): LoadBalancerResource | undefined {
  return ctx.store.list<LoadBalancerResource>('load-balancer').find((lb) => lb.name === name);
}

function requireLoadBalancer(ctx: SimContext, arn: string): LoadBalancerResource {
  return ctx.store.require<LoadBalancerResource>('load-balancer', arn, loadBalancerNotFound);
}

function createLoadBalancer(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('Name');
  validateName(name, 'Load balancer');
  if (name.startsWith('internal-')) throw validationError("Load balancer name cannot start with 'internal-'");
  const type = r.string('Type') ?? 'application';
  if (type !== 'application')
    throw validationError(`Load balancer type '${type}' is not supported by this simulator`);
  const scheme = r.string('Scheme') ?? 'internet-facing';
  const ipAddressType = r.string('IpAddressType') ?? 'ipv4';
  const subnetIds = [
    ...r.strings('Subnets'),
    ...r.objects('SubnetMappings').map((m) => m.requiredString('SubnetId')),
  ];
  const securityGroups = r.strings('SecurityGroups');
  const tags = readTags(r);
  const settings = {
    type,
    scheme,
    ipAddressType,
    subnets: [...subnetIds].sort(),
    securityGroups: [...securityGroups].sort(),
  };

  const existing = findLoadBalancerByName(ctx, name);
  if (existing) {
    const existingSettings = {
      type: 'application',
      scheme: existing.scheme,
      ipAddressType: existing.ipAddressType,
      subnets: existing.zones.map((zone) => zone.subnetId).sort(),
      securityGroups: [...existing.securityGroups].sort(),
    };
    if (existing.goneAt !== undefined || !sameData(settings, existingSettings)) {
      throw error(
        'DuplicateLoadBalancerName',
        `A load balancer with the same name '${name}' exists, but with different settings`,
      );
    }
    return { LoadBalancers: [loadBalancerOutput(ctx, existing)] };
  }

  const placements = subnetIds.map((subnetId) => {
    const placement = subnetPlacement(ctx, subnetId);
    if (!placement) throw error('SubnetNotFound', `The subnet ID '${subnetId}' is not valid`);
    return { subnetId, ...placement };
  });
  const zones = new Set(placements.map((placement) => placement.availabilityZone));
  if (zones.size < 2 || zones.size !== placements.length) {
    throw validationError('At least two subnets in two different Availability Zones must be specified');
  }
  const vpcIds = new Set(placements.map((placement) => placement.vpcId));
  const [vpcId] = vpcIds;
  if (vpcIds.size !== 1 || vpcId === undefined)
    throw error('InvalidSubnet', 'The subnets must all be in the same VPC');

  const hex = ctx.ids.hex(16);
  const resourcePath = `app/${name}/${hex}`;
  const arn = `${arnPrefix(ctx)}:loadbalancer/${resourcePath}`;
  const dnsSuffix = `${Math.floor(1e8 + ctx.random() * 9e8)}.${ctx.region}.elb.amazonaws.com`;
  const lb: LoadBalancerResource = {
    type: 'load-balancer',
    id: arn,
    arn,
    name,
    resourcePath,
    scheme,
    ipAddressType,
    vpcId,
    securityGroups,
    zones: placements.map((placement) => ({
      subnetId: placement.subnetId,
      zoneName: placement.availabilityZone,
      networkInterfaceId: createNetworkInterface(ctx, {
        subnetId: placement.subnetId,
        groups: securityGroups,
        description: `ELB ${resourcePath}`,
        requesterId: 'amazon-elb',
      }).id,
    })),
    dnsName: scheme === 'internal' ? `internal-${name}-${dnsSuffix}` : `${name}-${dnsSuffix}`,
    activeAt: ctx.clock.deadline(drawSeconds(ctx, ctx.latency.loadBalancerActive)),
    attributes: { ...DEFAULT_LOAD_BALANCER_ATTRIBUTES },
    tags,
    createdAt: ctx.clock.now(),
  };
  ctx.store.put(lb);
  return { LoadBalancers: [loadBalancerOutput(ctx, lb)] };
}

function describeLoadBalancers(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const arns = r.strings('LoadBalancerArns');
  const names = r.strings('Names');
  let found: LoadBalancerResource[];
  if (arns.length > 0) {
    found = arns.map((arn) => requireLoadBalancer(ctx, arn));
  } else if (names.length > 0) {
    found = names.map((name) => {
      const lb = findLoadBalancerByName(ctx, name);
      if (!lb) throw error('LoadBalancerNotFound', `Load balancers '[${name}]' not found`);
      return lb;
    });
  } else {
    found = ctx.store.list<LoadBalancerResource>('load-balancer');
  }
  const { page, nextToken } = paginate(found, r.string('Marker'), r.number('PageSize'), validationError, 400);
  return {
    LoadBalancers: page.map((lb) => loadBalancerOutput(ctx, lb)),
    ...(nextToken ? { NextMarker: nextToken } : {}),
  };
}

function deleteLoadBalancer(input: OperationInput, ctx: SimContext) {
  const arn = reader(input).requiredString('LoadBalancerArn');
  const lb = ctx.store.get<LoadBalancerResource>('load-balancer', arn);
  // "If the load balancer does not exist or has already been deleted, the call succeeds."
  if (!lb || lb.goneAt !== undefined) return {};
  if (lb.attributes['deletion_protection.enabled'] === 'true') {
    throw error(
      'OperationNotPermitted',
      `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`,
    );
  }
  for (const listener of ctx.store.list<ListenerResource>('listener')) {
    if (listener.loadBalancerArn === arn) deleteListenerAndRules(ctx, listener);
  }
  const deletedAfter = drawSeconds(ctx, ctx.latency.loadBalancerDeleted);
  lb.goneAt = ctx.clock.deadline(deletedAfter);
  for (const zone of lb.zones) {
    releaseNetworkInterface(
      ctx,
      zone.networkInterfaceId,
      deletedAfter + drawSeconds(ctx, ctx.latency.eniRelease),
    );
  }
  return {};
}

/** Reads `Attributes.member.N.Key/Value` and checks each key is one AWS knows. */
function readAttributes(r: InputReader, known: Record<string, string>): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const attribute of r.objects('Attributes')) {
    const key = attribute.requiredString('Key');
    const value = attribute.string('Value') ?? '';
    if (!(key in known)) throw validationError(`Unknown attribute '${key}'`);
    changes[key] = value;
  }
  return changes;
}

function attributeList(attributes: Record<string, string>) {
  return Object.entries(attributes).map(([Key, Value]) => ({ Key, Value }));
}

function modifyLoadBalancerAttributes(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const lb = requireLoadBalancer(ctx, r.requiredString('LoadBalancerArn'));
  const changes = readAttributes(r, DEFAULT_LOAD_BALANCER_ATTRIBUTES);
  const idle = changes['idle_timeout.timeout_seconds'];
  if (idle !== undefined && !(Number.isInteger(Number(idle)) && Number(idle) >= 1 && Number(idle) <= 4000)) {
    throw error('InvalidConfigurationRequest', 'Idle timeout must be between 1 and 4000 seconds');
  }
  Object.assign(lb.attributes, changes);
  return { Attributes: attributeList(lb.attributes) };
}

function describeLoadBalancerAttributes(input: OperationInput, ctx: SimContext) {
  const lb = requireLoadBalancer(ctx, reader(input).requiredString('LoadBalancerArn'));
  return { Attributes: attributeList(lb.attributes) };
}

// ---------------------------------------------------------------------------------------------
// Target groups

function requireTargetGroup(ctx: SimContext, arn: string): TargetGroupResource {
  return ctx.store.require<TargetGroupResource>('target-group', arn, targetGroupNotFound);
}

/** Health-check fields of CreateTargetGroup / ModifyTargetGroup applied over `base`. */
function readHealthCheck(r: InputReader, base: HealthCheck): HealthCheck {
  const check: HealthCheck = {
    protocol: r.string('HealthCheckProtocol') ?? base.protocol,
    port: r.string('HealthCheckPort') ?? base.port,
    path: r.string('HealthCheckPath') ?? base.path,
    intervalSeconds: r.number('HealthCheckIntervalSeconds') ?? base.intervalSeconds,
    timeoutSeconds: r.number('HealthCheckTimeoutSeconds') ?? base.timeoutSeconds,
    healthyThreshold: r.number('HealthyThresholdCount') ?? base.healthyThreshold,
    unhealthyThreshold: r.number('UnhealthyThresholdCount') ?? base.unhealthyThreshold,
    matcher: r.object('Matcher')?.string('HttpCode') ?? base.matcher,
    enabled: r.boolean('HealthCheckEnabled') ?? base.enabled,
  };
  if (check.intervalSeconds < 5 || check.intervalSeconds > 300) {
    throw validationError('Health check interval must be between 5 and 300 seconds');
  }
  if (
    check.timeoutSeconds < 2 ||
    check.timeoutSeconds > 120 ||
    check.timeoutSeconds >= check.intervalSeconds
  ) {
    throw validationError(
      'Health check timeout must be between 2 and 120 seconds and smaller than the interval',
    );
  }
  for (const threshold of [check.healthyThreshold, check.unhealthyThreshold]) {
    if (threshold < 2 || threshold > 10)
      throw validationError('Health check thresholds must be between 2 and 10');
  }
  if (!check.path.startsWith('/')) throw validationError("Health check path must begin with a '/' character");
  return check;
}

const DEFAULT_HEALTH_CHECK: HealthCheck = {
  protocol: 'HTTP',
  port: 'traffic-port',
  path: '/',
  intervalSeconds: 30,
  timeoutSeconds: 5,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
  matcher: '200',
  enabled: true,
};

function createTargetGroup(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const name = r.requiredString('Name');
  validateName(name, 'Target group');
  const targetType = r.string('TargetType') ?? 'instance';
  if (targetType !== 'ip' && targetType !== 'instance') {
    throw validationError(`Target type '${targetType}' is not supported by this simulator`);
  }
  const protocol = r.string('Protocol') ?? 'HTTP';
  const port = r.number('Port');
  const vpcId = r.string('VpcId');
  if (port === undefined || vpcId === undefined) {
    throw validationError(
      'A port, protocol and VPC ID must be specified for target groups of this target type',
    );
  }
  if (port < 1 || port > 65535) throw validationError('Port must be between 1 and 65535');
  const healthCheck = readHealthCheck(r, { ...DEFAULT_HEALTH_CHECK, protocol });
  const settings = { protocol, port, vpcId, targetType, healthCheck };

  const existing = ctx.store.list<TargetGroupResource>('target-group').find((tg) => tg.name === name);
  if (existing) {
    const { protocol: p, port: po, vpcId: v, targetType: t, healthCheck: h } = existing;
    if (!sameData(settings, { protocol: p, port: po, vpcId: v, targetType: t, healthCheck: h })) {
      throw error(
        'DuplicateTargetGroupName',
        'A target group with the same name exists, but with different settings',
      );
    }
    return { TargetGroups: [targetGroupOutput(ctx, existing)] };
  }
  // The VPC is checked only when the EC2 simulation knows VPCs at all (unit tests may not).
  if (ctx.store.list('vpc').length > 0 && !ctx.store.get('vpc', vpcId)) {
    throw validationError(`The VPC ID '${vpcId}' is not found`);
  }
  const arn = `${arnPrefix(ctx)}:targetgroup/${name}/${ctx.ids.hex(16)}`;
  const tg = ctx.store.put<TargetGroupResource>({
    type: 'target-group',
    id: arn,
    arn,
    name,
    protocol,
    protocolVersion: r.string('ProtocolVersion') ?? 'HTTP1',
    port,
    vpcId,
    targetType,
    ipAddressType: r.string('IpAddressType') ?? 'ipv4',
    healthCheck,
    attributes: { ...DEFAULT_TARGET_GROUP_ATTRIBUTES },
    targets: [],
    tags: readTags(r),
    createdAt: ctx.clock.now(),
  });
  return { TargetGroups: [targetGroupOutput(ctx, tg)] };
}

function describeTargetGroups(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const arns = r.strings('TargetGroupArns');
  const names = r.strings('Names');
  const loadBalancerArn = r.string('LoadBalancerArn');
  let found: TargetGroupResource[];
  if (arns.length > 0) {
    found = arns.map((arn) => requireTargetGroup(ctx, arn));
  } else if (names.length > 0) {
    found = names.map((name) => {
      const tg = ctx.store
        .list<TargetGroupResource>('target-group')
        .find((candidate) => candidate.name === name);
      if (!tg) throw error('TargetGroupNotFound', `Target groups '[${name}]' not found`);
      return tg;
    });
  } else {
    found = ctx.store.list<TargetGroupResource>('target-group');
    if (loadBalancerArn !== undefined) {
      requireLoadBalancer(ctx, loadBalancerArn);
      found = found.filter((tg) => loadBalancersOf(ctx, tg.arn).includes(loadBalancerArn));
    }
  }
  const { page, nextToken } = paginate(found, r.string('Marker'), r.number('PageSize'), validationError, 400);
  return {
    TargetGroups: page.map((tg) => targetGroupOutput(ctx, tg)),
    ...(nextToken ? { NextMarker: nextToken } : {}),
  };
}

function modifyTargetGroup(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  tg.healthCheck = readHealthCheck(r, tg.healthCheck);
  return { TargetGroups: [targetGroupOutput(ctx, tg)] };
}

function modifyTargetGroupAttributes(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  const changes = readAttributes(r, DEFAULT_TARGET_GROUP_ATTRIBUTES);
  const delay = changes['deregistration_delay.timeout_seconds'];
  if (
    delay !== undefined &&
    !(Number.isInteger(Number(delay)) && Number(delay) >= 0 && Number(delay) <= 3600)
  ) {
    throw validationError('Deregistration delay must be between 0 and 3600 seconds');
  }
  Object.assign(tg.attributes, changes);
  return { Attributes: attributeList(tg.attributes) };
}

function describeTargetGroupAttributes(input: OperationInput, ctx: SimContext) {
  const tg = requireTargetGroup(ctx, reader(input).requiredString('TargetGroupArn'));
  return { Attributes: attributeList(tg.attributes) };
}

function deleteTargetGroup(input: OperationInput, ctx: SimContext) {
  const arn = reader(input).requiredString('TargetGroupArn');
  const tg = ctx.store.get<TargetGroupResource>('target-group', arn);
  if (!tg) return {};
  const users = loadBalancersOf(ctx, arn);
  if (users.length > 0) {
    throw error('ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`);
  }
  ctx.store.delete('target-group', arn);
  return {};
}

function readTargets(
  r: InputReader,
  tg: TargetGroupResource,
): Array<{ id: string; port: number; zone?: string }> {
  const targets = r.objects('Targets').map((target) => ({
    id: target.requiredString('Id'),
    port: target.number('Port') ?? tg.port,
    zone: target.string('AvailabilityZone'),
  }));
  if (targets.length === 0) throw validationError('Targets must contain at least one target');
  return targets;
}

/** The simulated app behind an IP: ECS marks its tasks' apps; anything else answers 200. */
function appHealthyAt(ctx: SimContext, ip: string): boolean {
  const task = ctx.store
    .list<SimResource & { privateIp?: string; appHealth?: string }>('ecs-task')
    .find((candidate) => candidate.privateIp === ip);
  return task?.appHealth === undefined || task.appHealth === 'healthy';
}

function registerTargets(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  for (const target of readTargets(r, tg)) {
    if (tg.targetType === 'ip' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(target.id)) {
      throw error('InvalidTarget', `The IP address '${target.id}' is not a valid IPv4 address`);
    }
    const current = tg.targets.find(
      (t) => t.id === target.id && t.port === target.port && t.deregisteredAt === undefined,
    );
    if (current) continue;
    registerTarget(ctx, tg.arn, {
      id: target.id,
      port: target.port,
      ...(target.zone ? { availabilityZone: target.zone } : {}),
      registeredAt: ctx.clock.now(),
      appHealthy: appHealthyAt(ctx, target.id),
    });
  }
  return {};
}

function deregisterTargets(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  for (const target of readTargets(r, tg)) {
    const registered = tg.targets.some((t) => t.id === target.id && t.port === target.port);
    if (!registered) {
      throw error(
        'InvalidTarget',
        `The following targets are not registered in target group: '${target.id}'`,
      );
    }
    deregisterTarget(ctx, tg.arn, target.id, target.port, ctx.clock.now());
  }
  return {};
}

function describeTargetHealth(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const tg = requireTargetGroup(ctx, r.requiredString('TargetGroupArn'));
  const inUse = loadBalancersOf(ctx, tg.arn).length > 0;
  const live = liveTargets(ctx, tg);
  const asked = r.objects('Targets').map((target) => ({
    id: target.requiredString('Id'),
    port: target.number('Port') ?? tg.port,
  }));
  const describe = (target: TargetRecord) => ({
    Target: {
      Id: target.id,
      Port: target.port,
      ...(target.availabilityZone ? { AvailabilityZone: target.availabilityZone } : {}),
    },
    HealthCheckPort: tg.healthCheck.port === 'traffic-port' ? String(target.port) : tg.healthCheck.port,
    TargetHealth: targetHealth(ctx, tg, target, inUse),
  });
  if (asked.length === 0) return { TargetHealthDescriptions: live.map(describe) };
  return {
    TargetHealthDescriptions: asked.map((wanted) => {
      const target = live.find((t) => t.id === wanted.id && t.port === wanted.port);
      if (target) return describe(target);
      return {
        Target: { Id: wanted.id, Port: wanted.port },
        HealthCheckPort: String(wanted.port),
        TargetHealth: {
          State: 'unused',
          Reason: 'Target.NotRegistered',
          Description: 'Target is not registered to the target group',
        },
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Actions, listeners and rules

/**
 * Normalises listener/rule actions to what AWS answers: forward actions name their target group
 * both as `TargetGroupArn` and in `ForwardConfig`; every action gets its `Order`.
 */
function readActions(ctx: SimContext, readers: InputReader[], loadBalancerArn: string): Action[] {
  if (readers.length === 0) throw validationError('At least one action must be specified');
  return readers.map((action, index) => {
    const type = action.requiredString('Type');
    const order = action.number('Order') ?? index + 1;
    switch (type) {
      case 'forward': {
        const single = action.string('TargetGroupArn');
        const weighted = action
          .object('ForwardConfig')
          ?.objects('TargetGroups')
          .map((group) => ({
            TargetGroupArn: group.requiredString('TargetGroupArn'),
            Weight: group.number('Weight') ?? 1,
          }));
        const groups =
          weighted && weighted.length > 0 ? weighted : single ? [{ TargetGroupArn: single, Weight: 1 }] : [];
        if (groups.length === 0)
          throw validationError('A target group ARN must be specified for forward actions');
        for (const group of groups) {
          const tg = requireTargetGroup(ctx, group.TargetGroupArn);
          const others = loadBalancersOf(ctx, tg.arn).filter((arn) => arn !== loadBalancerArn);
          if (others.length > 0) {
            throw error(
              'TargetGroupAssociationLimit',
              `The following target groups cannot be associated with more than one load balancer: ${tg.arn}`,
            );
          }
        }
        const first = groups[0];
        return {
          Type: 'forward',
          ...(groups.length === 1 && first ? { TargetGroupArn: first.TargetGroupArn } : {}),
          Order: order,
          ForwardConfig: { TargetGroups: groups, TargetGroupStickinessConfig: { Enabled: false } },
        };
      }
      case 'fixed-response': {
        const config = action.requiredObject('FixedResponseConfig');
        const statusCode = config.requiredString('StatusCode');
        if (!/^[2-5]\d\d$/.test(statusCode))
          throw validationError(`Status code '${statusCode}' is not valid`);
        return {
          Type: 'fixed-response',
          Order: order,
          FixedResponseConfig: {
            StatusCode: statusCode,
            ...(config.string('ContentType') ? { ContentType: config.string('ContentType') } : {}),
            ...(config.string('MessageBody') !== undefined
              ? { MessageBody: config.string('MessageBody') }
              : {}),
          },
        };
      }
      case 'redirect': {
        const config = action.requiredObject('RedirectConfig');
        const statusCode = config.requiredString('StatusCode');
        if (statusCode !== 'HTTP_301' && statusCode !== 'HTTP_302') {
          throw validationError(
            `Redirect status code '${statusCode}' is not valid; use HTTP_301 or HTTP_302`,
          );
        }
        return {
          Type: 'redirect',
          Order: order,
          RedirectConfig: {
            Protocol: config.string('Protocol') ?? '#{protocol}',
            Port: config.string('Port') ?? '#{port}',
            Host: config.string('Host') ?? '#{host}',
            Path: config.string('Path') ?? '/#{path}',
            Query: config.string('Query') ?? '#{query}',
            StatusCode: statusCode,
          },
        };
      }
      default:
        throw validationError(`Action type '${type}' is not supported by this simulator`);
    }
  });
}

function requireListener(ctx: SimContext, arn: string): ListenerResource {
  return ctx.store.require<ListenerResource>('listener', arn, listenerNotFound);
}

/** Protocol and certificate rules of CreateListener/ModifyListener. */
function readListenerSecurity(r: InputReader, protocol: string, current?: ListenerResource) {
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
    throw validationError(`Listener protocol '${protocol}' must be one of 'HTTPS, HTTP'`);
  }
  const given = r
    .objects('Certificates')
    .map((certificate) => ({ CertificateArn: certificate.requiredString('CertificateArn') }));
  const certificates = given.length > 0 ? given : (current?.certificates ?? []);
  for (const { CertificateArn } of certificates) {
    if (
      !/^arn:aws[\w-]*:(acm:[\w-]+:\d{12}:certificate\/|iam::\d{12}:server-certificate\/)/.test(
        CertificateArn,
      )
    ) {
      throw error('CertificateNotFound', `Certificate '${CertificateArn}' not found`);
    }
  }
  if (protocol === 'HTTPS' && certificates.length === 0) {
    throw validationError('A certificate must be specified for HTTPS listeners');
  }
  if (protocol === 'HTTP') return { certificates: [], sslPolicy: undefined };
  return {
    certificates,
    sslPolicy: r.string('SslPolicy') ?? current?.sslPolicy ?? 'ELBSecurityPolicy-2016-08',
  };
}

function createListener(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const lb = requireLoadBalancer(ctx, r.requiredString('LoadBalancerArn'));
  const port = r.number('Port');
  if (port === undefined || port < 1 || port > 65535)
    throw validationError('Port must be between 1 and 65535');
  const protocol = r.string('Protocol') ?? 'HTTP';
  const { certificates, sslPolicy } = readListenerSecurity(r, protocol);
  const defaultActions = readActions(ctx, r.objects('DefaultActions'), lb.arn);

  const existing = ctx.store
    .list<ListenerResource>('listener')
    .find((listener) => listener.loadBalancerArn === lb.arn && listener.port === port);
  if (existing) {
    const same = sameData(
      { protocol, certificates, sslPolicy, defaultActions },
      {
        protocol: existing.protocol,
        certificates: existing.certificates,
        sslPolicy: existing.sslPolicy,
        defaultActions: existing.defaultActions,
      },
    );
    if (!same)
      throw error('DuplicateListener', 'A listener already exists on this port for this load balancer');
    return { Listeners: [listenerOutput(existing)] };
  }
  const listenerHex = ctx.ids.hex(16);
  const arn = `${arnPrefix(ctx)}:listener/${lb.resourcePath}/${listenerHex}`;
  const listener = ctx.store.put<ListenerResource>({
    type: 'listener',
    id: arn,
    arn,
    loadBalancerArn: lb.arn,
    port,
    protocol,
    ...(sslPolicy ? { sslPolicy } : {}),
    certificates,
    defaultActions,
    defaultRuleArn: `${arnPrefix(ctx)}:listener-rule/${lb.resourcePath}/${listenerHex}/${ctx.ids.hex(16)}`,
    tags: readTags(r),
    createdAt: ctx.clock.now(),
  });
  return { Listeners: [listenerOutput(listener)] };
}

function describeListeners(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const arns = r.strings('ListenerArns');
  const loadBalancerArn = r.string('LoadBalancerArn');
  let found: ListenerResource[];
  if (arns.length > 0) {
    found = arns.map((arn) => requireListener(ctx, arn));
  } else if (loadBalancerArn !== undefined) {
    requireLoadBalancer(ctx, loadBalancerArn);
    found = ctx.store
      .list<ListenerResource>('listener')
      .filter((listener) => listener.loadBalancerArn === loadBalancerArn);
  } else {
    throw validationError('You must specify either listener ARNs or a load balancer ARN');
  }
  const { page, nextToken } = paginate(found, r.string('Marker'), r.number('PageSize'), validationError, 400);
  return { Listeners: page.map(listenerOutput), ...(nextToken ? { NextMarker: nextToken } : {}) };
}

function modifyListener(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const listener = requireListener(ctx, r.requiredString('ListenerArn'));
  const port = r.number('Port') ?? listener.port;
  if (port !== listener.port) {
    const taken = ctx.store
      .list<ListenerResource>('listener')
      .some((other) => other.loadBalancerArn === listener.loadBalancerArn && other.port === port);
    if (taken)
      throw error('DuplicateListener', 'A listener already exists on this port for this load balancer');
  }
  const protocol = r.string('Protocol') ?? listener.protocol;
  const { certificates, sslPolicy } = readListenerSecurity(r, protocol, listener);
  const actionReaders = r.objects('DefaultActions');
  const defaultActions =
    actionReaders.length > 0
      ? readActions(ctx, actionReaders, listener.loadBalancerArn)
      : listener.defaultActions;
  Object.assign(listener, { port, protocol, certificates, sslPolicy, defaultActions });
  if (!sslPolicy) delete listener.sslPolicy;
  return { Listeners: [listenerOutput(listener)] };
}

function deleteListenerAndRules(ctx: SimContext, listener: ListenerResource): void {
  for (const rule of ctx.store.list<RuleResource>('listener-rule')) {
    if (rule.listenerArn === listener.arn) ctx.store.delete('listener-rule', rule.id);
  }
  ctx.store.delete('listener', listener.id);
}

function deleteListener(input: OperationInput, ctx: SimContext) {
  deleteListenerAndRules(ctx, requireListener(ctx, reader(input).requiredString('ListenerArn')));
  return {};
}

/** Rule conditions (path-pattern, host-header, …) kept as AWS echoes them: `Values` and the `…Config`. */
function readConditions(readers: InputReader[]): Record<string, unknown>[] {
  const configKeys: Record<string, string> = {
    'path-pattern': 'PathPatternConfig',
    'host-header': 'HostHeaderConfig',
    'http-request-method': 'HttpRequestMethodConfig',
    'source-ip': 'SourceIpConfig',
  };
  if (readers.length === 0) throw validationError('A rule must have at least one condition');
  return readers.map((condition) => {
    const field = condition.requiredString('Field');
    const configKey = configKeys[field];
    if (!configKey) throw validationError(`Condition field '${field}' is not supported by this simulator`);
    const values = [
      ...condition.strings('Values'),
      ...(condition.object(configKey)?.strings('Values') ?? []),
    ];
    if (values.length === 0) throw validationError(`A '${field}' condition must have at least one value`);
    const unique = [...new Set(values)];
    return { Field: field, Values: unique, [configKey]: { Values: unique } };
  });
}

function readPriority(r: InputReader, key = 'Priority'): number {
  const priority = r.number(key);
  if (priority === undefined || !Number.isInteger(priority) || priority < 1 || priority > 50000) {
    throw validationError('Priority must be between 1 and 50000');
  }
  return priority;
}

function rulesOf(ctx: SimContext, listenerArn: string): RuleResource[] {
  return ctx.store.list<RuleResource>('listener-rule').filter((rule) => rule.listenerArn === listenerArn);
}

function createRule(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const listener = requireListener(ctx, r.requiredString('ListenerArn'));
  const priority = readPriority(r);
  const conditions = readConditions(r.objects('Conditions'));
  const actions = readActions(ctx, r.objects('Actions'), listener.loadBalancerArn);
  if (rulesOf(ctx, listener.arn).some((rule) => rule.priority === priority)) {
    throw error('PriorityInUse', `Priority '${priority}' is currently in use`);
  }
  const listenerPath = listener.arn.split(':listener/')[1] ?? '';
  const arn = `${arnPrefix(ctx)}:listener-rule/${listenerPath}/${ctx.ids.hex(16)}`;
  const rule = ctx.store.put<RuleResource>({
    type: 'listener-rule',
    id: arn,
    arn,
    listenerArn: listener.arn,
    priority,
    conditions,
    actions,
    tags: readTags(r),
    createdAt: ctx.clock.now(),
  });
  return { Rules: [ruleOutput(rule)] };
}

/** A stored rule, or the listener whose default rule has this ARN. */
function findRule(ctx: SimContext, arn: string): { rule?: RuleResource; defaultOf?: ListenerResource } {
  const rule = ctx.store.get<RuleResource>('listener-rule', arn);
  if (rule) return { rule };
  const defaultOf = ctx.store
    .list<ListenerResource>('listener')
    .find((listener) => listener.defaultRuleArn === arn);
  if (defaultOf) return { defaultOf };
  throw ruleNotFound();
}

function describeRules(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const arns = r.strings('RuleArns');
  const listenerArn = r.string('ListenerArn');
  let found: ReturnType<typeof ruleOutput>[];
  if (arns.length > 0) {
    found = arns.map((arn) => {
      const { rule, defaultOf } = findRule(ctx, arn);
      return rule ? ruleOutput(rule) : defaultRuleOutput(defaultOf as ListenerResource);
    });
  } else if (listenerArn !== undefined) {
    const listener = requireListener(ctx, listenerArn);
    const rules = rulesOf(ctx, listener.arn).sort((a, b) => a.priority - b.priority);
    found = [...rules.map(ruleOutput), defaultRuleOutput(listener)];
  } else {
    throw validationError('You must specify either listener ARN or rule ARNs');
  }
  const { page, nextToken } = paginate(found, r.string('Marker'), r.number('PageSize'), validationError, 400);
  return { Rules: page, ...(nextToken ? { NextMarker: nextToken } : {}) };
}

function modifyRule(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const { rule, defaultOf } = findRule(ctx, r.requiredString('RuleArn'));
  const conditionReaders = r.objects('Conditions');
  const actionReaders = r.objects('Actions');
  if (defaultOf) {
    if (conditionReaders.length > 0)
      throw error('OperationNotPermitted', 'Conditions cannot be set on a default rule');
    if (actionReaders.length > 0)
      defaultOf.defaultActions = readActions(ctx, actionReaders, defaultOf.loadBalancerArn);
    return { Rules: [defaultRuleOutput(defaultOf)] };
  }
  if (!rule) throw ruleNotFound();
  const listener = requireListener(ctx, rule.listenerArn);
  if (conditionReaders.length > 0) rule.conditions = readConditions(conditionReaders);
  if (actionReaders.length > 0) rule.actions = readActions(ctx, actionReaders, listener.loadBalancerArn);
  return { Rules: [ruleOutput(rule)] };
}

function setRulePriorities(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const changes = r.objects('RulePriorities').map((change) => {
    const { rule } = findRule(ctx, change.requiredString('RuleArn'));
    if (!rule) throw error('OperationNotPermitted', 'The priority of a default rule cannot be changed');
    return { rule, priority: readPriority(change) };
  });
  // All changes are checked against the rules' priorities after the whole batch (swaps are allowed).
  const moved = new Set(changes.map((change) => change.rule.arn));
  for (const change of changes) {
    const clash =
      rulesOf(ctx, change.rule.listenerArn).some(
        (other) => !moved.has(other.arn) && other.priority === change.priority,
      ) ||
      changes.some(
        (other) =>
          other !== change &&
          other.rule.listenerArn === change.rule.listenerArn &&
          other.priority === change.priority,
      );
    if (clash) throw error('PriorityInUse', `Priority '${change.priority}' is currently in use`);
  }
  for (const change of changes) change.rule.priority = change.priority;
  return { Rules: changes.map((change) => ruleOutput(change.rule)) };
}

function deleteRule(input: OperationInput, ctx: SimContext) {
  const { rule } = findRule(ctx, reader(input).requiredString('RuleArn'));
  if (!rule) throw error('OperationNotPermitted', 'Default rules cannot be deleted');
  ctx.store.delete('listener-rule', rule.id);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Tags

const TAGGABLE_TYPES = ['load-balancer', 'target-group', 'listener', 'listener-rule'] as const;

function requireTaggable(ctx: SimContext, arn: string): SimResource {
  for (const type of TAGGABLE_TYPES) {
    const resource = ctx.store.get(type, arn);
    if (resource) return resource;
  }
  if (arn.includes(':loadbalancer/')) throw loadBalancerNotFound();
  if (arn.includes(':targetgroup/')) throw targetGroupNotFound();
  if (arn.includes(':listener-rule/')) throw ruleNotFound();
  if (arn.includes(':listener/')) throw listenerNotFound();
  throw validationError(`'${arn}' is not a valid load balancer, target group, listener or rule ARN`);
}

function addTags(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const keys = r.objects('Tags').map((tag) => tag.requiredString('Key'));
  if (new Set(keys).size !== keys.length) throw error('DuplicateTagKeys', 'Tag keys must be unique');
  const tags = r.tagList('Tags');
  const resources = r.strings('ResourceArns').map((arn) => requireTaggable(ctx, arn));
  for (const resource of resources) {
    const merged = { ...resource.tags, ...tags };
    if (Object.keys(merged).length > 50)
      throw error('TooManyTags', 'You have reached the limit on the number of tags');
    resource.tags = merged;
  }
  return {};
}

function removeTags(input: OperationInput, ctx: SimContext) {
  const r = reader(input);
  const keys = r.strings('TagKeys');
  for (const resource of r.strings('ResourceArns').map((arn) => requireTaggable(ctx, arn))) {
    for (const key of keys) delete resource.tags[key];
  }
  return {};
}

function describeTags(input: OperationInput, ctx: SimContext) {
  const arns = reader(input).strings('ResourceArns');
  if (arns.length === 0 || arns.length > 20)
    throw validationError('Between 1 and 20 resource ARNs must be specified');
  return {
    TagDescriptions: arns.map((arn) => ({
      ResourceArn: arn,
      Tags: tagListOf(requireTaggable(ctx, arn).tags),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Service definition

export const elbv2: ServiceDefinition = {
  signingName: 'elasticloadbalancing',
  protocol: 'query',
  xmlNamespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  operations: {
    CreateLoadBalancer: createLoadBalancer,
    DescribeLoadBalancers: describeLoadBalancers,
    DeleteLoadBalancer: deleteLoadBalancer,
    ModifyLoadBalancerAttributes: modifyLoadBalancerAttributes,
    DescribeLoadBalancerAttributes: describeLoadBalancerAttributes,
    CreateTargetGroup: createTargetGroup,
    DescribeTargetGroups: describeTargetGroups,
    ModifyTargetGroup: modifyTargetGroup,
    ModifyTargetGroupAttributes: modifyTargetGroupAttributes,
    DescribeTargetGroupAttributes: describeTargetGroupAttributes,
    DeleteTargetGroup: deleteTargetGroup,
    RegisterTargets: registerTargets,
    DeregisterTargets: deregisterTargets,
    DescribeTargetHealth: describeTargetHealth,
    CreateListener: createListener,
    DescribeListeners: describeListeners,
    ModifyListener: modifyListener,
    DeleteListener: deleteListener,
    CreateRule: createRule,
    DescribeRules: describeRules,
    ModifyRule: modifyRule,
    SetRulePriorities: setRulePriorities,
    DeleteRule: deleteRule,
    AddTags: addTags,
    RemoveTags: removeTags,
    DescribeTags: describeTags,
  },
  // ELBv2 does not publish per-API buckets; these match the observed "describe 40/10" of AWS-FACTS.
  rateLimitCategory: (operation) => (operation.startsWith('Describe') ? 'describe' : 'mutate'),
  rateLimits: {
    describe: { burst: 40, refillPerSecond: 10 },
    mutate: { burst: 20, refillPerSecond: 5 },
  },
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
};
