/**
 * Targets and their health, computed from the clock (initial → healthy or unhealthy; draining after
 * deregistration; unused when nothing forwards to the group). Also ECS's way in: the simulated ECS
 * registers and deregisters its tasks and reads health verdicts through these helpers.
 */
import type { SimContext } from '../../kernel';
import type { Action, ListenerResource, RuleResource, TargetGroupResource, TargetRecord } from './model';

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
