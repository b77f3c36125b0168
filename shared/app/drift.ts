/**
 * The drift check: what an environment's spec asks for against what AWS reports now. Reading AWS is
 * passed in (`observe`), so this use case stays free of SDK calls and every front door shares it.
 *
 * A check fans out to about ten Describe APIs whose token buckets the workflows share, so each
 * environment is checked at most once per window (DRIFT_MIN_INTERVAL_SECONDS, 60 by default). Within
 * it the last report is answered again with its age: an SRE looking at an incident gets an answer,
 * and knows how old it is, rather than a 429 to retry. Only when a check is already running and
 * none has finished yet is the answer 429 with Retry-After.
 */

import type { Caller } from '../domain/caller';
import {
  builtResourcesSchema,
  type DriftReport,
  driftReport,
  driftReportSchema,
  type ObservationTarget,
  type ObservedEnvironment,
} from '../domain/drift';
import { canCheckDrift } from '../domain/status';
import * as z from '../domain/zod';
import type { DriftCheckRecord } from '../store/drift-checks';
import type { EnvironmentReader } from '../store/environment-reader';
import { UseCaseError } from './errors';
import { loadVisible } from './reads';

/** The answer: the report, and how long ago AWS was read for it. */
export const driftAnswerSchema = z.extend(driftReportSchema, {
  ageSeconds: z.meta(z.int().check(z.minimum(0)), {
    description:
      'Seconds since checkedAt: 0 when AWS was read for this request; within the per-environment window (60 s by default) the last report is answered again with its age.',
  }),
});
export type DriftAnswer = z.output<typeof driftAnswerSchema>;

/** The last check of each environment (shared/store/drift-checks.ts `DriftCheckStore` fits it). */
export interface DriftCheckLog {
  last(environmentId: string): Promise<DriftCheckRecord>;
  claim(environmentId: string, now: Date, windowSeconds: number): Promise<boolean>;
  record(environmentId: string, report: DriftReport): Promise<void>;
}

export interface DriftDependencies {
  store: EnvironmentReader;
  /** Read-only Describe calls (shared/aws/observe.ts in the API). */
  observe: (target: ObservationTarget) => Promise<ObservedEnvironment>;
  /** The per-environment limit: without it every request reads AWS. */
  checks?: { log: DriftCheckLog; windowSeconds: number };
  now?: () => Date;
}

function answerOf(report: DriftReport, now: Date): DriftAnswer {
  const ageSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(report.checkedAt)) / 1000));
  return { ...report, ageSeconds };
}

export async function checkDrift(deps: DriftDependencies, caller: Caller, id: string): Promise<DriftAnswer> {
  const environment = await loadVisible(deps, caller, id);
  if (!canCheckDrift(environment.status)) {
    throw new UseCaseError(
      'conflict',
      'Conflict',
      `an environment in status ${environment.status} cannot be checked for drift: only READY and ` +
        'UPDATE_FAILED environments have settled resources to compare; check again once its workflow has ended',
    );
  }
  const built = builtResourcesSchema.safeParse(environment.runtime);
  if (!built.success) {
    throw new UseCaseError(
      'conflict',
      'Conflict',
      `environment ${id} has no record of the resources berth built, so there is nothing to compare; ` +
        'an update records it',
    );
  }
  const now = (deps.now ?? (() => new Date()))();
  if (deps.checks) {
    const { log, windowSeconds } = deps.checks;
    const last = await log.last(id);
    const fresh = last.report && now.getTime() - Date.parse(last.report.checkedAt) < windowSeconds * 1000;
    if (last.report && fresh) return answerOf(last.report, now);
    if (!(await log.claim(id, now, windowSeconds))) {
      // Another request is checking now: its predecessor's report, however old, or a time to come back.
      const latest = await log.last(id);
      if (latest.report) return answerOf(latest.report, now);
      const claimedAt = latest.claimedAt ?? now.getTime();
      const retryAfterSeconds = Math.max(
        1,
        Math.ceil((claimedAt + windowSeconds * 1000 - now.getTime()) / 1000),
      );
      throw new UseCaseError(
        'rate-limited',
        'Too Many Requests',
        `environment ${id} is being checked for drift by another request and has no earlier report; ask again in ${retryAfterSeconds} s`,
        undefined,
        retryAfterSeconds,
      );
    }
  }
  const ref = { id: environment.id, name: environment.name, team: environment.team };
  let observed: ObservedEnvironment;
  try {
    observed = await deps.observe({
      ref,
      serviceNames: environment.spec.services.map((service) => service.name),
      built: built.data,
    });
  } catch (cause) {
    // Throttling, an outage or a missing permission: the report cannot be made now, and is not the caller's fault.
    const error = new UseCaseError(
      'unavailable',
      'Service Unavailable',
      'AWS could not be read to compare the environment; please retry',
    );
    error.cause = cause;
    throw error;
  }
  const report = driftReport(ref, environment.spec, observed, now);
  await deps.checks?.log.record(id, report);
  return answerOf(report, now);
}
