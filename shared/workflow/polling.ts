/**
 * Readiness waits live in the state machine (Wait → check → Choice); this decides how long each
 * Wait is. The first wait is set by the ASL's Pass state before the loop, roughly the shortest time
 * the resource takes in AWS (docs/aws-facts.md#provisioning-times), so no invocation is
 * spent on a certainly-pending resource; after that the interval starts short and grows, which
 * keeps the overshoot past readiness small while bounding the Lambda invocations and state
 * transitions a slow resource costs.
 */
export interface PollSchedule {
  /** Seconds between the first checks; each later one grows by `growth`, up to `max`. */
  interval: number;
  growth: number;
  max: number;
  /** Checks before the wait is given up (its step then fails, which compensates). */
  attempts: number;
}

export const SCHEDULES = {
  // NAT gateways usually settle before the ALB (1–3 min against 1.5–4), so they poll coarser.
  natGateways: { interval: 10, growth: 1.25, max: 60, attempts: 40 },
  // Interface VPC endpoints (no NAT) take a minute or two, beside the ALB's wait.
  vpcEndpoints: { interval: 10, growth: 1.25, max: 30, attempts: 40 },
  // These waits lie on the critical path (the ALB, then the services; the teardown's last ENI), so
  // they poll closely — the overshoot is about half an interval — at the price of a
  // few more transitions (BENCHMARKS.md shows both).
  loadBalancer: { interval: 5, growth: 1.25, max: 30, attempts: 60 },
  // Services: 3 s first, as an image-only update is little more than this wait (new tasks healthy
  // in 1–2 minutes), so each second of overshoot shows in its ratio to that time.
  services: { interval: 3, growth: 1.15, max: 20, attempts: 100 },
  // A teardown's last blocker (an ENI AWS releases minutes after its NAT gateway or ALB) ends at a
  // moment nothing predicts, so the cap bounds the overshoot: 20 s keeps it under a tenth of a
  // typical 4–6 minute teardown for a few more passes than 30 s would take.
  teardown: { interval: 5, growth: 1.2, max: 20, attempts: 150 },
} as const satisfies Record<string, PollSchedule>;

export interface PollState {
  /** Checks made so far. */
  attempt: number;
  /** Seconds the next Wait lasts. */
  wait: number;
  ready: boolean;
}

/** The next poll state after a check; `exhausted` once the schedule's attempts are used up. */
export function nextPoll(
  schedule: PollSchedule,
  previous: Pick<PollState, 'attempt'> | undefined,
  ready: boolean,
): PollState & { exhausted: boolean } {
  const attempt = (previous?.attempt ?? 0) + 1;
  const wait = Math.min(schedule.max, Math.round(schedule.interval * schedule.growth ** (attempt - 1)));
  return { attempt, wait, ready, exhausted: !ready && attempt >= schedule.attempts };
}

export type PollResult = ReturnType<typeof nextPoll>;
