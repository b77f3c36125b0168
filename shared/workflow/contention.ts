/**
 * Optimistic writes of one environment item by parallel branches (progress, transitions): a writer
 * that lost the version race reads again and retries. Retrying at once lets the same writers collide
 * again in lockstep (seen under load as ProgressContention); a short random pause spreads them out
 * ("full jitter": AWS Architecture Blog, "Exponential Backoff And Jitter"). Milliseconds, not a wait
 * for AWS: the workflow still owns every real wait.
 */

/** At most this many write attempts before the step reports ProgressContention (and Retry runs it again). */
export const MAX_WRITE_ATTEMPTS = 8;

/** Resolves after a random pause of up to 10·2^attempt ms (at most 500 ms) before retry `attempt` (1, 2, …). */
export function pauseBeforeRetry(attempt: number, random: () => number = Math.random): Promise<void> {
  const ceiling = Math.min(500, 10 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.floor(random() * ceiling)));
}
