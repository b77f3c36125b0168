/**
 * Targets and their health, computed from the clock (initial → healthy or unhealthy; draining after
 * deregistration; unused when nothing forwards to the group). Also ECS's way in: the simulated ECS
 * registers and deregisters its tasks and reads health verdicts through these helpers.
 *
 * Health checks honour security groups (docs/aws-facts.md#security-groups-and-alb-health-checks): a
 * target the load balancer cannot reach — no ingress on the health-check port from one of the ALB's
 * groups or from a CIDR covering its subnets, or no egress from the ALB's groups to it — times out
 * (`Target.Timeout`). The rules are read as they stand when asked, so a rule added later heals it.
 */
import type { ResourceStore, SimContext } from '../../kernel';
import type { AutoScalingGroupResource } from '../autoscaling-model';
import type { NetworkInterface, Subnet } from '../ec2/model';
import { defaultSecurityGroupOf, securityGroupsAllow } from '../ec2/security-groups';
import type {
  Action,
  ListenerResource,
  LoadBalancerResource,
  RuleResource,
  TargetGroupResource,
  TargetRecord,
} from './model';

/** Whether health checks honour security groups (on, as on AWS); the control API switches it. */
const securityGroupChecks = new WeakMap<ResourceStore, boolean>();

export function securityGroupHealthChecks(ctx: SimContext): boolean {
  return securityGroupChecks.get(ctx.store) ?? true;
}

export function setSecurityGroupHealthChecks(ctx: SimContext, enabled: boolean): void {
  securityGroupChecks.set(ctx.store, enabled);
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

/** The port the group's health check connects to for a target registered on `targetPort`. */
export function healthCheckPortOf(tg: TargetGroupResource, targetPort: number): number {
  return tg.healthCheck.port === 'traffic-port' ? targetPort : Number(tg.healthCheck.port);
}

/** The security groups of a target: its ENI's (an `ip` target), or its instance's (an `instance` one). */
function targetSecurityGroups(ctx: SimContext, tg: TargetGroupResource, id: string): string[] | undefined {
  const interfaces = ctx.store.list<NetworkInterface>('network-interface');
  if (tg.targetType === 'ip') {
    return interfaces.find((eni) => eni.privateIpAddress === id && eni.vpcId === tg.vpcId)?.groups;
  }
  for (const group of ctx.store.list<AutoScalingGroupResource>('autoscaling-group')) {
    const instance = group.instances.find((candidate) => candidate.instanceId === id);
    if (instance) return interfaces.find((eni) => eni.id === instance.networkInterfaceId)?.groups;
  }
  return undefined;
}

function targetAddress(ctx: SimContext, tg: TargetGroupResource, id: string): string | undefined {
  if (tg.targetType === 'ip') return id;
  for (const group of ctx.store.list<AutoScalingGroupResource>('autoscaling-group')) {
    const instance = group.instances.find((candidate) => candidate.instanceId === id);
    if (instance) {
      return ctx.store.get<NetworkInterface>('network-interface', instance.networkInterfaceId)
        ?.privateIpAddress;
    }
  }
  return undefined;
}

/**
 * Whether every load balancer forwarding to the group may reach the target on its health-check port:
 * the target's groups let it in from one of the ALB's groups (or a CIDR covering the ALB's subnets),
 * and the ALB's groups let it out to the target. A target whose network interface the simulation
 * does not know (an address registered by hand) is taken as reachable: nothing says otherwise.
 */
export function targetReachable(ctx: SimContext, tg: TargetGroupResource, id: string, port: number): boolean {
  if (!securityGroupHealthChecks(ctx)) return true;
  const targetGroups = targetSecurityGroups(ctx, tg, id);
  const address = targetAddress(ctx, tg, id);
  if (targetGroups === undefined || address === undefined) return true;
  const checkPort = healthCheckPortOf(tg, port);
  return loadBalancersOf(ctx, tg.arn).every((arn) => {
    const lb = ctx.store.get<LoadBalancerResource>('load-balancer', arn);
    if (!lb) return true;
    const fallback = defaultSecurityGroupOf(ctx, lb.vpcId);
    const lbGroups = lb.securityGroups.length > 0 ? lb.securityGroups : fallback ? [fallback] : [];
    const lbSubnets = lb.zones.flatMap(
      (zone) => ctx.store.get<Subnet>('subnet', zone.subnetId)?.cidrBlock ?? [],
    );
    const inbound = securityGroupsAllow(ctx, 'ingress', targetGroups, checkPort, {
      groupIds: lbGroups,
      cidrs: lbSubnets,
    });
    const outbound = securityGroupsAllow(ctx, 'egress', lbGroups, checkPort, {
      groupIds: targetGroups,
      cidrs: [`${address}/32`],
    });
    return inbound && outbound;
  });
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
export function liveTargets(ctx: SimContext, tg: TargetGroupResource): TargetRecord[] {
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

/** What a health check the security groups drop ends as: no answer within the timeout. */
const TIMED_OUT = { Reason: 'Target.Timeout', Description: 'Request timed out' } as const;

export function targetHealth(
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
  const reachable = targetReachable(ctx, tg, target.id, target.port);
  const passes = target.appHealthy && reachable;
  if (!ctx.clock.reached(healthCheckVerdictAt(tg, target.registeredAt, passes))) {
    return {
      State: 'initial',
      Reason: 'Elb.RegistrationInProgress',
      Description: 'Target registration is in progress',
    };
  }
  if (passes) return { State: 'healthy' };
  if (!reachable) return { State: 'unhealthy', ...TIMED_OUT };
  return {
    State: 'unhealthy',
    Reason: 'Target.ResponseCodeMismatch',
    Description: `Health checks failed with these codes: [500]`,
  };
}
