/**
 * ELBv2's records in the shared store (store types `load-balancer`, `target-group`, `listener`,
 * `listener-rule`; ids are ARNs) and what every ELBv2 operation shares: error codes, default
 * attributes, name and tag readers, and the lookups by ARN. It imports no other ELBv2 module, so every
 * other one can import it.
 */
import { AwsError, type OperationInput, type SimContext, type SimResource } from '../../kernel';
import type { Subnet } from '../ec2/model';
import { InputReader, type InvalidInput } from '../operation-input';

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

export interface HealthCheck {
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
export type Action = Record<string, unknown>;

export interface ListenerResource extends SimResource {
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

export interface RuleResource extends SimResource {
  type: 'listener-rule';
  arn: string;
  listenerArn: string;
  priority: number;
  conditions: Record<string, unknown>[];
  actions: Action[];
}

export const error = (code: string, message: string) => new AwsError(code, message, 400);

export const validationError: InvalidInput = (message) => error('ValidationError', message);

export const reader = (input: OperationInput) => new InputReader(input, validationError);

export const loadBalancerNotFound = () =>
  error('LoadBalancerNotFound', 'One or more load balancers not found');

export const targetGroupNotFound = () => error('TargetGroupNotFound', 'One or more target groups not found');

export const listenerNotFound = () => error('ListenerNotFound', 'One or more listeners not found');

export const ruleNotFound = () => error('RuleNotFound', 'One or more rules not found');

export const DEFAULT_LOAD_BALANCER_ATTRIBUTES: Record<string, string> = {
  'idle_timeout.timeout_seconds': '60',
  'deletion_protection.enabled': 'false',
  'routing.http2.enabled': 'true',
  'routing.http.drop_invalid_header_fields.enabled': 'false',
  'access_logs.s3.enabled': 'false',
  'access_logs.s3.bucket': '',
  'access_logs.s3.prefix': '',
};

export const DEFAULT_TARGET_GROUP_ATTRIBUTES: Record<string, string> = {
  'deregistration_delay.timeout_seconds': '300',
  'stickiness.enabled': 'false',
  'stickiness.type': 'lb_cookie',
  'stickiness.lb_cookie.duration_seconds': '86400',
  'load_balancing.algorithm.type': 'round_robin',
  'slow_start.duration_seconds': '0',
};

/** Canonical hosted-zone ids of ALBs per Region (ELB endpoints table); us-east-1's otherwise. */
export const ALB_HOSTED_ZONES: Record<string, string> = {
  'us-east-1': 'Z35SXDOTRQ7X7K',
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-west-1': 'Z368ELLRRE2KJ0',
  'us-west-2': 'Z1H1FL5HABSF5',
  'eu-west-1': 'Z32O12XQLNTSW2',
  'eu-central-1': 'Z215JYRZR1TBD5',
};

export const arnPrefix = (ctx: SimContext) => `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.accountId}`;

/** Names of ALBs and target groups: 1–32 alphanumerics or hyphens, no hyphen at either end. */
export function validateName(name: string, what: string): void {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(name)) {
    throw validationError(
      `${what} name '${name}' can have a maximum of 32 characters, can contain only alphanumeric characters and hyphens, and cannot begin or end with a hyphen`,
    );
  }
}

export function readTags(r: InputReader): Record<string, string> {
  const tags = r.tagList('Tags');
  if (Object.keys(tags).length > 50)
    throw error('TooManyTags', 'You have reached the limit on the number of tags');
  return tags;
}

/** Structural equality of plain data, for the idempotent creates. */
export function sameData(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The VPC and zone of a subnet of the EC2 simulation, or undefined when it does not exist. */
export function subnetPlacement(
  ctx: SimContext,
  subnetId: string,
): { vpcId: string; availabilityZone: string } | undefined {
  const subnet = ctx.store.get<Subnet>('subnet', subnetId);
  return subnet ? { vpcId: subnet.vpcId, availabilityZone: subnet.availabilityZone } : undefined;
}

export function findLoadBalancerByName(ctx: SimContext, name: string): LoadBalancerResource | undefined {
  return ctx.store.list<LoadBalancerResource>('load-balancer').find((lb) => lb.name === name);
}

export function requireLoadBalancer(ctx: SimContext, arn: string): LoadBalancerResource {
  return ctx.store.require<LoadBalancerResource>('load-balancer', arn, loadBalancerNotFound);
}

/** Reads `Attributes.member.N.Key/Value` and checks each key is one AWS knows. */
export function readAttributes(r: InputReader, known: Record<string, string>): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const attribute of r.objects('Attributes')) {
    const key = attribute.requiredString('Key');
    const value = attribute.string('Value') ?? '';
    if (!(key in known)) throw validationError(`Unknown attribute '${key}'`);
    changes[key] = value;
  }
  return changes;
}

export function attributeList(attributes: Record<string, string>) {
  return Object.entries(attributes).map(([Key, Value]) => ({ Key, Value }));
}

export function requireTargetGroup(ctx: SimContext, arn: string): TargetGroupResource {
  return ctx.store.require<TargetGroupResource>('target-group', arn, targetGroupNotFound);
}

export function requireListener(ctx: SimContext, arn: string): ListenerResource {
  return ctx.store.require<ListenerResource>('listener', arn, listenerNotFound);
}

export function deleteListenerAndRules(ctx: SimContext, listener: ListenerResource): void {
  for (const rule of ctx.store.list<RuleResource>('listener-rule')) {
    if (rule.listenerArn === listener.arn) ctx.store.delete('listener-rule', rule.id);
  }
  ctx.store.delete('listener', listener.id);
}

export function rulesOf(ctx: SimContext, listenerArn: string): RuleResource[] {
  return ctx.store.list<RuleResource>('listener-rule').filter((rule) => rule.listenerArn === listenerArn);
}
