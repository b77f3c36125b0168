/**
 * Polls GET /environments/{id} until its workflow settles (`isSettled` in shared/domain/status), with
 * a growing interval that drops back to the shortest one whenever progress moves. Ctrl-C and the
 * deadline end the wait only: the environment is never touched.
 */
import type { Clock } from './args';
import { type ApiClient, ApiError, NetworkError } from './client';
import { type EnvironmentView, getEnvironment, isSettled } from './environment-view';
import type { ProgressReporter } from './progress';

export interface PollIntervals {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_INTERVALS: PollIntervals = { initialMs: 1_000, maxMs: 10_000, factor: 1.5 };
/** Consecutive 5xx/network failures tolerated while waiting (an API deploy, a flaky link). */
const MAX_CONSECUTIVE_FAILURES = 5;

export interface WaitOptions {
  timeoutMs: number;
  signal: AbortSignal;
  clock: Clock;
  reporter: ProgressReporter;
  /** Whether a 404 ends the wait successfully (waiting for a teardown whose record went away). */
  goneMeansDone?: boolean;
  intervals?: PollIntervals;
}

export type WaitOutcome =
  | { kind: 'settled'; environment: EnvironmentView; body: unknown }
  | { kind: 'gone' }
  | { kind: 'timed-out'; environment: EnvironmentView | undefined }
  | { kind: 'interrupted'; environment: EnvironmentView | undefined };

function isTransient(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    (error instanceof ApiError && (error.status >= 500 || error.status === 429))
  );
}

function progressKey(environment: EnvironmentView): string {
  const { status, progress } = environment;
  return `${status}|${progress.percent}|${progress.currentStep ?? ''}|${progress.completedSteps.length}`;
}

export async function waitForEnvironment(
  client: ApiClient,
  id: string,
  options: WaitOptions,
): Promise<WaitOutcome> {
  const { clock, signal, reporter } = options;
  const intervals = options.intervals ?? DEFAULT_INTERVALS;
  const deadline = clock.now() + options.timeoutMs;
  let interval = intervals.initialMs;
  let failures = 0;
  let last: EnvironmentView | undefined;
  let lastKey = '';

  for (;;) {
    if (signal.aborted) return { kind: 'interrupted', environment: last };
    try {
      const { environment, body } = await getEnvironment(client, id, signal);
      failures = 0;
      reporter.update(environment);
      last = environment;
      if (isSettled(environment.status)) return { kind: 'settled', environment, body };
      const key = progressKey(environment);
      interval =
        key === lastKey ? Math.min(interval * intervals.factor, intervals.maxMs) : intervals.initialMs;
      lastKey = key;
    } catch (error) {
      if (signal.aborted) return { kind: 'interrupted', environment: last };
      if (options.goneMeansDone && error instanceof ApiError && error.status === 404) return { kind: 'gone' };
      failures += 1;
      if (!isTransient(error) || failures > MAX_CONSECUTIVE_FAILURES) throw error;
      reporter.warn(`${error instanceof Error ? error.message : String(error)}; retrying`);
      interval = Math.min(interval * intervals.factor, intervals.maxMs);
    }
    const remaining = deadline - clock.now();
    if (remaining <= 0) return { kind: 'timed-out', environment: last };
    await clock.sleep(Math.min(interval, remaining), signal);
  }
}
