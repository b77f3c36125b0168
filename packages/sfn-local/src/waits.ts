/**
 * Wait states in local time: a Wait's duration by Step Functions' rules for Seconds, Timestamp and
 * the *Path variants, and a sleep that survives Node's 2^31-1 ms timer limit and ends on abort.
 */
import { UnrecoverableError } from './invokers';
import type { JsonObject } from './json';
import { MAX_TIMER_SECONDS, type WaitSpec } from './runnable';

/** The Wait's duration in AWS seconds; Step Functions' rules for the *Path variants. */
export function waitSeconds(wait: WaitSpec, parameters: JsonObject): number {
  switch (wait.source) {
    case 'Seconds':
      return wait.seconds;
    case 'Timestamp':
      return secondsUntil(wait.timestamp);
    case 'SecondsPath': {
      const seconds = parameters.seconds;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw new UnrecoverableError(
          'States.Runtime',
          `SecondsPath must point to a non-negative integer, got ${JSON.stringify(seconds)}`,
        );
      }
      return seconds;
    }
    case 'TimestampPath': {
      const timestamp = parameters.timestamp;
      if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) {
        throw new UnrecoverableError(
          'States.Runtime',
          `TimestampPath must point to an ISO 8601 timestamp, got ${JSON.stringify(timestamp)}`,
        );
      }
      return secondsUntil(timestamp);
    }
  }
}

/**
 * Seconds from now until a timestamp (0 if past). The remaining time is what gets scaled: the
 * local stack has no shared simulated clock, so "wait until 10:00" at scale 0.01 waits 1% of the
 * real time left until 10:00.
 */
function secondsUntil(timestamp: string): number {
  return Math.max(0, (Date.parse(timestamp) - Date.now()) / 1000);
}

/** Sleeps, in chunks because Node timers overflow past 2^31-1 ms; ends early on abort. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  let remaining = ms;
  while (remaining > 0 && !signal.aborted) {
    const chunk = Math.min(remaining, MAX_TIMER_SECONDS * 1000);
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, chunk);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    remaining -= chunk;
  }
}
