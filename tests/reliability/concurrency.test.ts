/**
 * Concurrency, in process: the environment use cases raced against DynamoDB Local (a recording
 * workflow starter in place of Step Functions). What must hold under contention: one winner per
 * version and no lost update, one environment per Idempotency-Key, and quotas that cannot be
 * overrun by parallel creates. `BERTH_RELIABILITY=full` repeats each race more often.
 */
import fc from 'fast-check';
import { type CreateOutcome, createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { UseCaseError } from '../../shared/app/errors';
import type { Dependencies } from '../../shared/app/ports';
import { updateEnvironment as update } from '../../shared/app/update';
import type { Caller } from '../../shared/domain/caller';
import type { Environment } from '../../shared/domain/environment';
import { BUILT_IN_QUOTA_DEFAULTS } from '../../shared/domain/usage';
import { STATUS_OF } from '../../shared/http/problem';
import { EnvironmentStore } from '../../shared/store/environments';
import { QuotaStore } from '../../shared/store/quotas';
import { memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { RecordingWorkflows } from '../support/recording-workflows';
import { FULL, runs } from './hostile';

jest.setTimeout(FULL ? 1_800_000 : 120_000);

const CONCURRENCY = 20;

function request(team: string, name = 'web', image = 'nginx:1.27') {
  return { name, team, services: [{ name: 'api', image }] };
}

/** The HTTP status a use case's outcome maps to (shared/http/problem.ts), or the error itself. */
async function statusOf<T>(
  promise: Promise<T>,
): Promise<{ status: number; value?: T; error?: UseCaseError }> {
  try {
    return { status: 202, value: await promise };
  } catch (error) {
    if (error instanceof UseCaseError) return { status: STATUS_OF[error.kind], error };
    throw error;
  }
}

function setup(quotaLimit?: number) {
  const client = testDocumentClient();
  const store = new EnvironmentStore(client, TEST_TABLE);
  const workflows = new RecordingWorkflows();
  const deps: Dependencies = {
    store,
    workflows,
    ...(quotaLimit === undefined
      ? {}
      : {
          quotas: {
            store: new QuotaStore(client, TEST_TABLE),
            defaults: {
              ...BUILT_IN_QUOTA_DEFAULTS,
              environments: quotaLimit,
              tasks: 1_000,
              natGateways: 1_000,
            },
          },
        }),
  };
  const team = uniqueTeam('cc-');
  const caller: Caller = memberOf(team, 'racer');
  return { store, workflows, deps, team, caller };
}

/** A READY environment, as a finished provisioning workflow leaves it. */
async function readyEnvironment(context: ReturnType<typeof setup>): Promise<Environment> {
  const outcome = await createEnvironment(context.deps, context.caller, request(context.team));
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return context.store.update(outcome.environment.id, {}, { status: 'READY' });
}

type Update = Awaited<ReturnType<typeof update>>;

describe('concurrent PATCH and DELETE of one environment', () => {
  it('lets exactly one of 20 PATCHes with the same If-Match win, and stores the winner’s spec', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constant(null), async () => {
        const context = setup();
        const environment = await readyEnvironment(context);
        const images = Array.from({ length: CONCURRENCY }, (_, index) => `nginx:1.${index + 100}`);

        const results = await Promise.all(
          images.map((image) =>
            statusOf(
              update(
                context.deps,
                context.caller,
                environment.id,
                { services: [{ name: 'api', image }] },
                `"${environment.version}"`,
              ),
            ),
          ),
        );

        const winners = results.flatMap((result, index) => (result.status === 202 ? [images[index]] : []));
        const stored = await context.store.get(environment.id);
        expect(winners).toHaveLength(1);
        expect(results.filter((result) => result.status === 412)).toHaveLength(CONCURRENCY - 1);
        expect(stored?.version).toBe(environment.version + 1);
        expect(stored?.spec.services[0]?.image).toBe(winners[0]);
        expect(context.workflows.started.filter((run) => run.kind === 'update')).toHaveLength(1);
      }),
      { numRuns: runs(2, 20) },
    );
  });

  it('resolves a random mix of 20 PATCHes and DELETEs to one change of version, losers 409/412', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: CONCURRENCY, maxLength: CONCURRENCY }),
        async (isDelete) => {
          const context = setup();
          const environment = await readyEnvironment(context);
          const ifMatch = `"${environment.version}"`;

          const results = await Promise.all(
            isDelete.map((deleting, index) =>
              deleting
                ? statusOf<Environment | Update>(
                    deleteEnvironment(context.deps, context.caller, environment.id),
                  )
                : statusOf<Environment | Update>(
                    update(
                      context.deps,
                      context.caller,
                      environment.id,
                      { services: [{ name: 'api', image: `nginx:2.${index}` }] },
                      ifMatch,
                    ),
                  ),
            ),
          );

          const stored = await context.store.get(environment.id);
          const events = await context.store.listEvents(environment.id, 100);
          const patches = results.filter((_, index) => !isDelete[index]);
          const deletes = results.filter((_, index) => isDelete[index]);
          const patchWinners = patches.filter((result) => result.status === 202);
          // One write per version: the winner moved the version by exactly one and recorded one event.
          expect(stored?.version).toBe(environment.version + 1);
          expect(events.items.filter((event) => event.type !== 'requested')).toHaveLength(1);
          if (patchWinners.length === 1) {
            const winnerIndex = results.findIndex(
              (result, index) => !isDelete[index] && result.status === 202,
            );
            expect(stored?.status).toBe('UPDATING');
            expect(stored?.spec.services[0]?.image).toBe(`nginx:2.${winnerIndex}`);
            expect(patches.filter((result) => result.status === 412)).toHaveLength(patches.length - 1);
            expect(deletes.every((result) => result.status === 409)).toBe(true);
          } else {
            expect(patchWinners).toHaveLength(0);
            expect(stored?.status).toBe('DELETING');
            expect(stored?.spec.services[0]?.image).toBe('nginx:1.27');
            expect(patches.every((result) => result.status === 412)).toBe(true);
            // Every DELETE answers 202 with the same teardown: the later ones found it running.
            expect(deletes.every((result) => result.status === 202)).toBe(true);
            expect(
              new Set(
                context.workflows.started.filter((run) => run.kind === 'teardown').map((run) => run.name),
              ).size,
            ).toBe(1);
          }
        },
      ),
      { numRuns: runs(3, 30) },
    );
  });
});

describe('concurrent creates', () => {
  it('turns 20 concurrent creates with one Idempotency-Key into one environment', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), async (key) => {
        const context = setup();

        const results = await Promise.all(
          Array.from({ length: CONCURRENCY }, () =>
            statusOf<CreateOutcome>(
              createEnvironment(context.deps, context.caller, request(context.team), { idempotencyKey: key }),
            ),
          ),
        );

        const outcomes = results.map((result) => result.value);
        const ids = new Set(
          outcomes.map((outcome) =>
            outcome && outcome.kind !== 'dry-run' ? outcome.environment.id : undefined,
          ),
        );
        const listed = await context.store.list({ teams: [context.team], limit: 100 });
        expect(results.map((result) => result.status)).toEqual(Array(CONCURRENCY).fill(202));
        expect(outcomes.filter((outcome) => outcome?.kind === 'created')).toHaveLength(1);
        expect(ids.size).toBe(1);
        expect(listed.items).toHaveLength(1);
        expect(new Set(context.workflows.started.map((run) => run.name)).size).toBe(1);
      }),
      { numRuns: runs(2, 20) },
    );
  });

  it('creates exactly 5 of 20 concurrent environments at a quota of 5; the other 15 are 429', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constant(null), async () => {
        const context = setup(5);

        const results = await Promise.all(
          Array.from({ length: CONCURRENCY }, (_, index) =>
            statusOf<CreateOutcome>(
              createEnvironment(context.deps, context.caller, request(context.team, `env-${index}`)),
            ),
          ),
        );

        const listed = await context.store.list({ teams: [context.team], limit: 100 });
        const usage = await new QuotaStore(testDocumentClient(), TEST_TABLE).getUsage(context.team);
        expect(results.filter((result) => result.status === 202)).toHaveLength(5);
        expect(results.filter((result) => result.status === 429)).toHaveLength(CONCURRENCY - 5);
        expect(listed.items).toHaveLength(5);
        expect(usage.environments).toBe(5);
      }),
      { numRuns: runs(2, 20) },
    );
  });
});
