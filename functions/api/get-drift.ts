import { checkDrift } from '../../shared/app/drift';
import { observeEnvironment } from '../../shared/aws/observe';
import { authenticatedHandler } from '../../shared/http/handler';
import { driftChecks } from '../../shared/wiring/drift-checks';
import { environmentReader } from '../../shared/wiring/table';

/**
 * GET /environments/{id}/drift → each difference between the spec and what AWS reports, read at
 * most once per environment per DRIFT_MIN_INTERVAL_SECONDS (the last report again, with its age, within it).
 * The one handler that reaches AWS, on purpose: observeEnvironment only reads (Describe calls) to
 * report; changing AWS stays the workflows' job, and this handler never writes.
 */
export const handler = authenticatedHandler(async ({ caller, params }) => {
  const report = await checkDrift(
    { store: environmentReader(), observe: observeEnvironment, checks: driftChecks() },
    caller,
    params.id ?? '',
  );
  return { status: 200, body: report, headers: { Age: String(report.ageSeconds) } };
});
