/**
 * The per-environment limit of drift checks, built once per Lambda container: the table's record of
 * the last check and the window from DRIFT_MIN_INTERVAL_SECONDS (60 s when unset).
 */
import type { DriftCheckLog } from '../app/drift';
import { optionalEnv, requireEnv } from '../config';
import { DriftCheckStore } from '../store/drift-checks';
import { documentClient } from './table';

export const DEFAULT_DRIFT_WINDOW_SECONDS = 60;

let checks: { log: DriftCheckLog; windowSeconds: number } | undefined;

/** Throws on a window that is not a whole number of seconds from 0 to 86400, so a typo fails the first call. */
export function driftChecks(): { log: DriftCheckLog; windowSeconds: number } {
  if (checks) return checks;
  const text = optionalEnv('DRIFT_MIN_INTERVAL_SECONDS', String(DEFAULT_DRIFT_WINDOW_SECONDS));
  const windowSeconds = Number(text);
  if (!Number.isInteger(windowSeconds) || windowSeconds < 0 || windowSeconds > 86400) {
    throw new Error(`DRIFT_MIN_INTERVAL_SECONDS must be whole seconds from 0 to 86400, not "${text}"`);
  }
  checks = { log: new DriftCheckStore(documentClient(), requireEnv('TABLE_NAME')), windowSeconds };
  return checks;
}
