/**
 * How often and how berth's SDK clients retry a throttled or failed call: one budget per kind of
 * caller, every client of shared/aws built with one of them
 * (docs/aws-facts.md#throttling-at-scale-retry-budgets). Plain constants, so a client written
 * `/* @__PURE__ *\/ new EC2Client(stepCallsToThrottledApis)` stays droppable from bundles that never use it.
 *
 * - EC2 and ELBv2 throttle per account and per API, with buckets that 50 environments built at once
 *   exhaust in their first seconds (each network step makes dozens of EC2 calls). The steps that call
 *   them are latency-tolerant, so they take the adaptive mode: after a throttle the client also slows its own
 *   sending rate, and a Lambda container that was throttled keeps the lower rate for its next invocation.
 *   Six attempts wait at most 1+2+4+8+16 = 31 s (the SDK's throttling backoff, full jitter: 15.5 s on
 *   average), about half the shortest step timeout (60 s), so a step still ends in time to be retried
 *   by its state machine (`TransientError`), which waits up to a minute between whole-step attempts.
 * - The other services the steps call (ECS, Auto Scaling, CloudWatch Logs, IAM, Route 53, SSM,
 *   Scheduler, SQS, Pipes) take a few calls per step; five standard attempts wait at most 15 s.
 * - Calls made while an HTTP request waits (the API functions: 10 s timeout, API Gateway's 29 s) keep
 *   the SDK's default of three standard attempts (at most 3 s of throttling backoff): a request that is
 *   still throttled answers 503 and the caller retries, rather than holding the connection.
 */

/** The two SDK settings of a retry budget (`retryMode`, `maxAttempts` of every v3 client's config). */
export interface RetryBudget {
  readonly retryMode: 'standard' | 'adaptive';
  readonly maxAttempts: number;
}

/** Workflow steps calling EC2 or ELBv2: per-API buckets that concurrent creations share. */
export const stepCallsToThrottledApis: RetryBudget = { retryMode: 'adaptive', maxAttempts: 6 };

/** Workflow steps calling any other service. */
export const stepCalls: RetryBudget = { retryMode: 'standard', maxAttempts: 5 };

/** Calls made while an HTTP request waits for the answer. */
export const requestCalls: RetryBudget = { retryMode: 'standard', maxAttempts: 3 };
