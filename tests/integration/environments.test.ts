/**
 * The environment use cases against DynamoDB Local (started once per run by tests/setup). Only the
 * Step Functions boundary is replaced, by a recorder: what is asserted is what DynamoDB holds.
 */
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { UseCaseError } from '../../shared/app/errors';
import { listEvents } from '../../shared/app/events';
import type { Dependencies } from '../../shared/app/ports';
import { getEnvironment, listEnvironments } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Caller } from '../../shared/http/identity';
import { EnvironmentStore } from '../../shared/store/environments';
import { ADMIN, memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { RecordingWorkflows, rejection } from '../support/recording-workflows';

function request(team: string, name = 'web', image = 'nginx:1.27') {
  return { name, team, services: [{ name: 'api', image }] };
}

let deps: Dependencies & { workflows: RecordingWorkflows };
let store: EnvironmentStore;
let team: string;
let caller: Caller;

beforeEach(() => {
  store = new EnvironmentStore(testDocumentClient(), TEST_TABLE);
  deps = { store, workflows: new RecordingWorkflows() };
  team = uniqueTeam();
  caller = memberOf(team);
});

describe('create', () => {
  it('records the environment as REQUESTED and starts provisioning named after its id', async () => {
    const outcome = await createEnvironment(deps, caller, request(team));

    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    const stored = await store.get(outcome.environment.id);
    expect(stored?.status).toBe('REQUESTED');
    expect(stored?.spec.network.natGateways).toBe('single');
    expect(deps.workflows.started).toEqual([
      {
        kind: 'provision',
        name: outcome.environment.id,
        input: { environmentId: outcome.environment.id, execution: outcome.environment.id },
      },
    ]);
  });

  it('answers 409 when the team already has an environment of that name', async () => {
    await createEnvironment(deps, caller, request(team));

    const error = await rejection(createEnvironment(deps, caller, request(team)));

    expect(error.kind).toBe('conflict');
    expect(error.errors?.[0]?.path).toBe('/name');
  });

  it('refuses a job scheduled every minute with 422 naming its schedule, and writes nothing', async () => {
    const body = {
      ...request(team),
      jobs: [{ name: 'poll', service: 'api', trigger: { schedule: 'rate(1 minute)' } }],
    };

    const error = await rejection(createEnvironment(deps, caller, body));

    expect(error.kind).toBe('unprocessable');
    expect(error.errors).toEqual([
      { path: '/jobs/0/trigger/schedule', message: expect.stringContaining('at most every 5 minutes') },
    ]);
    expect((await listEnvironments(deps, caller, { limit: 10 })).items).toEqual([]);
    expect(deps.workflows.started).toEqual([]);
  });

  it('lets two teams use the same name', async () => {
    const other = uniqueTeam();
    await createEnvironment(deps, caller, request(team));

    const outcome = await createEnvironment(deps, { ...caller, teams: [other] }, request(other));

    expect(outcome.kind).toBe('created');
  });

  it('replays the same key and body as the same environment, starting nothing new', async () => {
    const first = await createEnvironment(deps, caller, request(team), { idempotencyKey: 'OPS-1' });
    const second = await createEnvironment(deps, caller, request(team), { idempotencyKey: 'OPS-1' });

    if (first.kind === 'dry-run' || second.kind === 'dry-run') throw new Error('unexpected dry run');
    expect(second.kind).toBe('replayed');
    expect(second.environment.id).toBe(first.environment.id);
    expect(deps.workflows.started).toHaveLength(1);
  });

  it('refuses a reused key with a different body (422) and writes nothing', async () => {
    await createEnvironment(deps, caller, request(team), { idempotencyKey: 'OPS-2' });

    const error = await rejection(
      createEnvironment(deps, caller, request(team, 'other'), { idempotencyKey: 'OPS-2' }),
    );

    expect(error.kind).toBe('unprocessable');
    const page = await listEnvironments(deps, caller, { limit: 10 });
    expect(page.items.map((item) => item.name)).toEqual(['web']);
  });

  it('creates exactly one environment when ten requests race with one key', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        createEnvironment(deps, caller, request(team), { idempotencyKey: 'OPS-3' }),
      ),
    );

    const ids = new Set(
      outcomes.map((outcome) => (outcome.kind === 'dry-run' ? '' : outcome.environment.id)),
    );
    expect(ids.size).toBe(1);
    expect((await listEnvironments(deps, caller, { limit: 10 })).items).toHaveLength(1);
  });

  it('writes nothing on a dry run', async () => {
    const outcome = await createEnvironment(deps, caller, request(team), { dryRun: true });

    expect(outcome.kind).toBe('dry-run');
    expect((await listEnvironments(deps, caller, { limit: 10 })).items).toHaveLength(0);
  });

  it('writes nothing for an invalid body and names the field', async () => {
    const error = await rejection(createEnvironment(deps, caller, { name: 'web', team, services: [] }));

    expect(error.kind).toBe('bad-request');
    expect(error.errors?.map((issue) => issue.path)).toContain('/services');
    expect((await listEnvironments(deps, caller, { limit: 10 })).items).toHaveLength(0);
  });

  it('refuses to create in a team the caller is not in', async () => {
    const error = await rejection(createEnvironment(deps, caller, request(uniqueTeam())));

    expect(error.kind).toBe('forbidden');
  });

  it('frees the name again when the workflow cannot be started', async () => {
    deps.workflows.failNextStart = true;
    const error = await rejection(
      createEnvironment(deps, caller, request(team), { idempotencyKey: 'OPS-4' }),
    );
    expect(error.kind).toBe('unavailable');

    const retry = await createEnvironment(deps, caller, request(team), { idempotencyKey: 'OPS-4' });

    expect(retry.kind).toBe('created');
    expect((await listEnvironments(deps, caller, { limit: 10 })).items).toHaveLength(1);
  });
});

describe('read', () => {
  it("answers another team's environment exactly like a missing one", async () => {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    const stranger: Caller = memberOf(uniqueTeam(), 'mallory');

    const foreign = await rejection(getEnvironment(deps, stranger, outcome.environment.id));
    const missing = await rejection(getEnvironment(deps, stranger, 'env-01jx0000000000000000000000'));

    expect(foreign.kind).toBe('not-found');
    expect(foreign.detail).toBe(missing.detail);
  });

  it('lets an admin read any team', async () => {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');

    const environment = await getEnvironment(deps, ADMIN, outcome.environment.id);

    expect(environment.team).toBe(team);
  });

  it('does not expose the store bookkeeping', async () => {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');

    const environment = await getEnvironment(deps, caller, outcome.environment.id);

    expect(Object.keys(environment)).not.toEqual(expect.arrayContaining(['owner']));
    expect(Object.keys(environment)).not.toEqual(expect.arrayContaining(['pk']));
  });
});

describe('list', () => {
  it('pages newest first without repeating or skipping', async () => {
    for (const name of ['a1', 'a2', 'a3', 'a4', 'a5'])
      await createEnvironment(deps, caller, request(team, name));

    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEnvironments(deps, caller, { limit: 2, ...(cursor ? { cursor } : {}) });
      names.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
    } while (cursor);

    expect(names).toEqual(['a5', 'a4', 'a3', 'a2', 'a1']);
  });

  it('merges all of the caller’s teams by age', async () => {
    const second = uniqueTeam();
    const both: Caller = { ...caller, teams: [team, second] };
    await createEnvironment(deps, both, request(team, 'b1'));
    await createEnvironment(deps, both, request(second, 'b2'));
    await createEnvironment(deps, both, request(team, 'b3'));

    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listEnvironments(deps, both, { limit: 1, ...(cursor ? { cursor } : {}) });
      names.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
    } while (cursor);

    expect(names).toEqual(['b3', 'b2', 'b1']);
  });

  it('filters by status', async () => {
    const outcome = await createEnvironment(deps, caller, request(team, 'c1'));
    await createEnvironment(deps, caller, request(team, 'c2'));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    await deleteEnvironment(deps, caller, outcome.environment.id);

    const page = await listEnvironments(deps, caller, { limit: 10, status: 'DELETING' });

    expect(page.items.map((item) => item.name)).toEqual(['c1']);
  });

  it("shows an empty list for another team's name", async () => {
    await createEnvironment(deps, caller, request(team));

    const page = await listEnvironments(deps, memberOf(uniqueTeam(), 'mallory'), {
      team,
      limit: 10,
    });

    expect(page.items).toEqual([]);
  });

  it('refuses a cursor that points into another team', async () => {
    const forged = Buffer.from(JSON.stringify({ 'some-other-team': '' })).toString('base64url');

    const error = await rejection(listEnvironments(deps, caller, { limit: 10, cursor: forged }));

    expect(error.kind).toBe('bad-request');
  });
});

describe('update', () => {
  async function readyEnvironment() {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    const { id } = outcome.environment;
    await store.update(id, { status: 'REQUESTED' }, { status: 'PROVISIONING' });
    return store.update(id, { status: 'PROVISIONING' }, { status: 'READY' });
  }

  it('records the new desired spec, moves to UPDATING and starts the update workflow', async () => {
    const ready = await readyEnvironment();

    const updated = await updateEnvironment(
      deps,
      caller,
      ready.id,
      { services: [{ name: 'api', image: 'nginx:1.28' }] },
      `"${ready.version}"`,
    );

    expect(updated.status).toBe('UPDATING');
    expect(updated.spec.services[0]?.image).toBe('nginx:1.28');
    expect(updated.version).toBe(ready.version + 1);
    expect(deps.workflows.started.at(-1)?.kind).toBe('update');
  });

  it('requires If-Match (428)', async () => {
    const ready = await readyEnvironment();

    const error = await rejection(updateEnvironment(deps, caller, ready.id, {}, undefined));

    expect(error.kind).toBe('precondition-required');
  });

  it('refuses a stale If-Match (412)', async () => {
    const ready = await readyEnvironment();

    const error = await rejection(updateEnvironment(deps, caller, ready.id, {}, `"${ready.version - 1}"`));

    expect(error.kind).toBe('precondition-failed');
  });

  it('names the fields that cannot change in place (422)', async () => {
    const ready = await readyEnvironment();

    const error = await rejection(
      updateEnvironment(deps, caller, ready.id, { network: { availabilityZones: 3 } }, `"${ready.version}"`),
    );

    expect(error.kind).toBe('unprocessable');
    expect(error.errors?.map((issue) => issue.path)).toEqual(['/network/availabilityZones']);
  });

  it.each([
    ['/network/natGateways', { network: { natGateways: 'per-az' } }],
    ['/loadBalancer/scheme', { loadBalancer: { scheme: 'internal' } }],
    ['/tags', { tags: { cost: 'shop' } }],
  ])('refuses %s with 422 saying why, and writes nothing', async (path, patch) => {
    // Prepare
    const ready = await readyEnvironment();
    const started = deps.workflows.started.length;

    // Act
    const error = await rejection(updateEnvironment(deps, caller, ready.id, patch, `"${ready.version}"`));

    // Assess
    expect(error.kind).toBe('unprocessable');
    expect(error.errors).toEqual([
      { path, message: expect.stringMatching(/^cannot change in place: .+new environment/) },
    ]);
    expect((await getEnvironment(deps, caller, ready.id)).version).toBe(ready.version);
    expect(deps.workflows.started).toHaveLength(started);
  });

  it('tells the update workflow which settings the patch changed, and records the new ticket', async () => {
    // Prepare
    const ready = await readyEnvironment();

    // Act
    const updated = await updateEnvironment(
      deps,
      caller,
      ready.id,
      { loadBalancer: { idleTimeoutSeconds: 120 }, ticket: 'OPS-77' },
      `"${ready.version}"`,
    );

    // Assess
    expect(deps.workflows.started.at(-1)?.input).toMatchObject({
      changed: ['loadBalancer.idleTimeoutSeconds', 'ticket'],
    });
    expect(updated.ticket).toBe('OPS-77');
  });

  it('refuses an update while provisioning (409)', async () => {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');

    const error = await rejection(updateEnvironment(deps, caller, outcome.environment.id, {}, '"1"'));

    expect(error.kind).toBe('conflict');
  });

  it('lets exactly one of ten concurrent PATCHes with the same If-Match win', async () => {
    const ready = await readyEnvironment();

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        updateEnvironment(
          deps,
          caller,
          ready.id,
          { services: [{ name: 'api', image: `nginx:1.${index}` }] },
          `"${ready.version}"`,
        ),
      ),
    );

    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const lost = results.filter((result) => result.status === 'rejected');
    for (const result of lost) {
      expect(result.reason).toBeInstanceOf(UseCaseError);
      expect(['precondition-failed', 'conflict']).toContain((result.reason as UseCaseError).kind);
    }
    const stored = await store.get(ready.id);
    const winner = won[0];
    expect(winner?.status === 'fulfilled' ? winner.value.spec.services[0]?.image : '').toBe(
      stored?.spec.services[0]?.image,
    );
  });
});

describe('delete', () => {
  it('stops provisioning first, then starts one teardown however often it is asked', async () => {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    const { id } = outcome.environment;

    const first = await deleteEnvironment(deps, caller, id);
    const second = await deleteEnvironment(deps, caller, id);

    expect(first.status).toBe('DELETING');
    expect(second.status).toBe('DELETING');
    expect(deps.workflows.stopped).toEqual([{ kind: 'provision', name: id }]);
    expect(deps.workflows.started.filter((run) => run.kind === 'teardown')).toHaveLength(1);
  });

  it('runs one teardown when two deletes race', async () => {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');

    const results = await Promise.all([
      deleteEnvironment(deps, caller, outcome.environment.id),
      deleteEnvironment(deps, caller, outcome.environment.id),
    ]);

    expect(results.map((result) => result.status)).toEqual(['DELETING', 'DELETING']);
    expect(deps.workflows.started.filter((run) => run.kind === 'teardown')).toHaveLength(1);
  });

  it('refuses a stale If-Match (412) and deletes with the current one', async () => {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    const { id, version } = outcome.environment;

    const stale = await rejection(deleteEnvironment(deps, caller, id, `"${version + 1}"`));
    const deleted = await deleteEnvironment(deps, caller, id, `"${version}"`);

    expect(stale.kind).toBe('precondition-failed');
    expect(deleted.status).toBe('DELETING');
  });

  it('records the request as an event', async () => {
    const outcome = await createEnvironment(deps, caller, request(team));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    await deleteEnvironment(deps, caller, outcome.environment.id);

    const events = await listEvents(deps, caller, outcome.environment.id, { limit: 10 });

    expect(events.items.map((event) => event.type)).toEqual(['requested', 'delete-requested']);
  });
});
