/**
 * Which priority each service's listener rule gets. ELBv2 evaluates a listener's rules from the lowest
 * priority up and stops at the first match, and two rules of one listener cannot share a priority
 * (CreateRule answers `PriorityInUse`), so priorities are an environment-wide plan that must stay put:
 * a rule that moves changes which service wins an overlapping path. Decided here, without the SDK;
 * shared/aws/load-balancer.ts only applies the plan.
 */
import type { ServiceSpec } from './spec';

/** Assigned priorities are multiples of this from `FIRST_PRIORITY`, leaving room for explicit ones. */
const PRIORITY_STEP = 10;
const FIRST_PRIORITY = 100;
/** The highest priority a listener rule may have (see docs/aws-facts.md#listener-rule-priorities). */
export const MAX_PRIORITY = 50000;

export class NoFreePriority extends Error {
  override readonly name = 'NoFreePriority';

  constructor() {
    super('no free listener rule priority left');
  }
}

/**
 * Rule priorities that stay put across updates: an explicit `routing.priority`, else the priority the
 * service's rule already has (`existing`: service → priority), else the lowest free multiple of 10
 * from 100, in spec order. Priorities that existing rules hold (including rules of services being
 * removed) are never handed to another service.
 */
export function planPriorities(
  services: readonly Pick<ServiceSpec, 'name' | 'routing'>[],
  existing: Readonly<Record<string, number>>,
): Record<string, number> {
  const plan: Record<string, number> = {};
  const taken = new Set<number>();
  for (const service of services) {
    if (service.routing.priority !== undefined) {
      plan[service.name] = service.routing.priority;
      taken.add(service.routing.priority);
    }
  }
  for (const service of services) {
    const priority = existing[service.name];
    if (plan[service.name] !== undefined || priority === undefined || taken.has(priority)) continue;
    plan[service.name] = priority;
    taken.add(priority);
  }
  for (const priority of Object.values(existing)) taken.add(priority);
  let next = FIRST_PRIORITY;
  for (const service of services) {
    if (plan[service.name] !== undefined) continue;
    while (taken.has(next)) next += PRIORITY_STEP;
    if (next > MAX_PRIORITY) throw new NoFreePriority();
    plan[service.name] = next;
    taken.add(next);
  }
  return plan;
}

/**
 * The first priority above `after` that no rule holds: where a rule goes when its planned priority
 * turned out taken (`PriorityInUse`, a rule created concurrently).
 */
export function nextFreePriority(used: Iterable<number>, after: number): number {
  const taken = new Set(used);
  let priority = after + 1;
  while (taken.has(priority)) priority += 1;
  if (priority > MAX_PRIORITY) throw new NoFreePriority();
  return priority;
}
