/**
 * Team quotas and cost estimates against DynamoDB Local: limits hold under concurrency, usage is
 * given back on DELETED, admins raise limits, and a PATCH past a limit changes nothing.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { UseCaseError } from '../../shared/app/errors';
import type { Dependencies } from '../../shared/app/ports';
import { getTeamQuotas, putTeamQuotas } from '../../shared/app/quotas';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import { estimateMonthlyCost } from '../../shared/domain/cost';
import type { Environment } from '../../shared/domain/environment';
import { environmentRequestSchema } from '../../shared/domain/spec';
import type { QuotaLimits } from '../../shared/domain/usage';
import type { Caller } from '../../shared/http/identity';
import { STATUS_OF } from '../../shared/http/problem';
import { EnvironmentStore } from '../../shared/store/environments';
import { QuotaStore } from '../../shared/store/quotas';
import { executionNames } from '../../shared/workflow/executions';
import { ADMIN, memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { RecordingWorkflows, rejection } from '../support/recording-workflows';

const DEFAULTS: QuotaLimits = {
  environments: 2,
  tasks: 5,
  natGateways: 6,
  ec2Instances: 20,
  oneOffTasks: 10,
  oneOffVcpus: 8,
};

function request(team: string, name: string, desiredCount = 1) {
  return { name, team, services: [{ name: 'api', image: 'nginx:1.27', desiredCount }] };
}

async function created(promise: ReturnType<typeof createEnvironment>): Promise<Environment> {
  const outcome = await promise;
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return outcome.environment;
}

let deps: Dependencies & {
  workflows: RecordingWorkflows;
  quotas: { store: QuotaStore; defaults: QuotaLimits };
};
let store: EnvironmentStore;
let team: string;
let member: Caller;
const admin: Caller = ADMIN;

beforeEach(() => {
  store = new EnvironmentStore(testDocumentClient(), TEST_TABLE);
  deps = {
    store,
    workflows: new RecordingWorkflows(),
    quotas: { store: new QuotaStore(testDocumentClient(), TEST_TABLE), defaults: DEFAULTS },
    region: 'us-east-1',
  };
  team = uniqueTeam('q');
  member = memberOf(team);
});

const usage = async () => (await getTeamQuotas(deps, member, team)).usage;

/** Moves a created environment to READY as the provisioning workflow would. */
async function makeReady(environment: Environment): Promise<Environment> {
  const owner = executionNames.provision(environment.id);
  await store.update(environment.id, { owner, status: 'REQUESTED' }, { status: 'PROVISIONING' });
  return store.update(environment.id, { owner, status: 'PROVISIONING' }, { status: 'READY' });
}

/** Deletes an environment and ends its teardown as finish-teardown does. */
async function deleteToTheEnd(environment: Environment): Promise<void> {
  await deleteEnvironment(deps, member, environment.id);
  const deleting = await store.get(environment.id);
  if (!deleting?.owner) throw new Error('no teardown owner');
  const deleted = await store.update(
    environment.id,
    { owner: deleting.owner, status: 'DELETING' },
    { status: 'DELETED' },
  );
  await store.releaseUsage(deleted);
}

describe('cost', () => {
  it('answers the estimate on a dry run and stores it on the record at create', async () => {
    const spec = environmentRequestSchema.parse(request(team, 'web'));
    const expected = estimateMonthlyCost(spec, 'us-east-1');

    const dryRun = await createEnvironment(deps, member, request(team, 'web'), { dryRun: true });
    const environment = await created(createEnvironment(deps, member, request(team, 'web')));

    expect(dryRun.kind === 'dry-run' ? dryRun.cost : undefined).toEqual(expected);
    expect(environment.cost).toEqual(expected);
    expect((await getEnvironment(deps, member, environment.id)).cost).toEqual(expected);
  });

  it('re-estimates on PATCH', async () => {
    // NAT topology cannot change in place (422); a service's task count can, and costs more.
    const environment = await makeReady(await created(createEnvironment(deps, member, request(team, 'web'))));

    await updateEnvironment(
      deps,
      member,
      environment.id,
      { services: [{ name: 'api', image: 'nginx:1.27', desiredCount: 3 }] },
      `"${environment.version}"`,
    );

    const after = await getEnvironment(deps, member, environment.id);
    expect(after.cost?.monthly).toBeGreaterThan(environment.cost?.monthly ?? 0);
  });

  it('does not show the quota bookkeeping on the record', async () => {
    const environment = await created(createEnvironment(deps, member, request(team, 'web')));

    expect(environment).not.toHaveProperty('quotaUsage');
    expect(await getEnvironment(deps, member, environment.id)).not.toHaveProperty('quotaUsage');
  });
});

describe('usage', () => {
  it('counts environments, desired tasks, NAT gateways and EC2 maximum size', async () => {
    await createEnvironment(deps, member, request(team, 'web', 2));
    await createEnvironment(deps, member, {
      name: 'batch',
      team,
      network: { natGateways: 'per-az', availabilityZones: 3 },
      cluster: {
        capacity: 'EC2',
        ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 4, desiredCapacity: 2 },
      },
      services: [{ name: 'api', image: 'nginx:1.27', desiredCount: 3 }],
    });

    expect(await usage()).toEqual({ environments: 2, tasks: 5, natGateways: 4, ec2Instances: 4 });
  });
});

describe('limits', () => {
  it('refuses exactly one of two concurrent creates at the environment limit, with 429 naming it', async () => {
    await createEnvironment(deps, member, request(team, 'one'));

    const results = await Promise.allSettled([
      createEnvironment(deps, member, request(team, 'two')),
      createEnvironment(deps, member, request(team, 'three')),
    ]);

    const refused = results.flatMap((result) =>
      result.status === 'rejected' && result.reason instanceof UseCaseError ? [result.reason] : [],
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.kind).toBe('quota-exceeded');
    expect(STATUS_OF['quota-exceeded']).toBe(429);
    expect(refused[0]?.errors).toEqual([{ path: 'quota.environments', message: 'limit 2, in use 2' }]);
    expect(await usage()).toMatchObject({ environments: 2, tasks: 2 });
  });

  it('refuses a create whose tasks alone exceed the limit and writes nothing', async () => {
    const error = await rejection(createEnvironment(deps, member, request(team, 'big', 6)));

    expect(error.errors).toEqual([{ path: 'quota.tasks', message: 'limit 5, in use 0' }]);
    expect(await usage()).toEqual({ environments: 0, tasks: 0, natGateways: 0, ec2Instances: 0 });
  });

  it('answers an idempotent replay at the limit with the environment, not 429', async () => {
    await createEnvironment(deps, member, request(team, 'one'));
    const first = await created(
      createEnvironment(deps, member, request(team, 'two'), { idempotencyKey: 'K-1' }),
    );

    const replay = await created(
      createEnvironment(deps, member, request(team, 'two'), { idempotencyKey: 'K-1' }),
    );

    expect(replay.id).toBe(first.id);
    expect((await usage()).environments).toBe(2);
  });

  it('gives usage back when the workflow cannot start', async () => {
    deps.workflows.failNextStart = true;

    await rejection(createEnvironment(deps, member, request(team, 'web', 3)));

    expect(await usage()).toEqual({ environments: 0, tasks: 0, natGateways: 0, ec2Instances: 0 });
  });

  it('gives usage back once when an environment reaches DELETED, so the team may create again', async () => {
    const first = await created(createEnvironment(deps, member, request(team, 'one')));
    await createEnvironment(deps, member, request(team, 'two'));

    await deleteToTheEnd(first);
    const deleted = await store.get(first.id);
    if (!deleted) throw new Error('missing');
    await store.releaseUsage(deleted);

    expect(await usage()).toMatchObject({ environments: 1, tasks: 1, natGateways: 1 });
    expect((await createEnvironment(deps, member, request(team, 'three'))).kind).toBe('created');
  });

  it('keeps counting an environment that is DELETING', async () => {
    const first = await created(createEnvironment(deps, member, request(team, 'one')));
    await deleteEnvironment(deps, member, first.id);
    const deleting = await store.get(first.id);
    if (!deleting) throw new Error('missing');

    await store.releaseUsage(deleting);

    expect((await usage()).environments).toBe(1);
  });
});

describe('overrides', () => {
  it('lets an admin raise a team limit, which the next create uses', async () => {
    await createEnvironment(deps, member, request(team, 'one'));
    await createEnvironment(deps, member, request(team, 'two'));

    const quotas = await putTeamQuotas(deps, admin, team, { environments: 3 });
    await createEnvironment(deps, member, request(team, 'three'));

    expect(quotas.limits).toEqual({ ...DEFAULTS, environments: 3 });
    expect(quotas.overrides).toEqual({ environments: 3 });
    expect(await getTeamQuotas(deps, member, team)).toMatchObject({
      limits: { environments: 3 },
      usage: { environments: 3 },
    });
  });

  it('reads a stored override item per dimension, keeping what still applies', async () => {
    // An item as an older release might have left it: a dimension since dropped, a bad value.
    await testDocumentClient().send(
      new PutCommand({
        TableName: TEST_TABLE,
        Item: { pk: `TEAM#${team}`, sk: 'QUOTAS', overrides: { environments: 4, gpus: 2, tasks: -1 } },
      }),
    );

    expect(await deps.quotas.store.getOverrides(team)).toEqual({ environments: 4 });
    expect((await getTeamQuotas(deps, member, team)).limits).toEqual({ ...DEFAULTS, environments: 4 });
  });

  it('refuses PUT from a member who is not an admin (403) and keeps the limits', async () => {
    const error = await rejection(putTeamQuotas(deps, member, team, { environments: 100 }));

    expect(error.kind).toBe('forbidden');
    expect((await getTeamQuotas(deps, member, team)).limits).toEqual(DEFAULTS);
  });

  it("refuses GET of another team's quotas", async () => {
    const error = await rejection(getTeamQuotas(deps, member, uniqueTeam('q')));

    expect(error.kind).toBe('forbidden');
  });

  it('refuses a body with an unknown dimension or a negative limit, naming each', async () => {
    const error = await rejection(putTeamQuotas(deps, admin, team, { environments: -1, gpus: 2 }));

    expect(error.kind).toBe('bad-request');
    expect(error.errors?.map((issue) => issue.path).sort()).toEqual(['/environments', '/gpus']);
  });
});

describe('PATCH', () => {
  it('refuses a PATCH beyond the task limit with 429 and changes nothing', async () => {
    const environment = await makeReady(
      await created(createEnvironment(deps, member, request(team, 'web', 2))),
    );

    const error = await rejection(
      updateEnvironment(
        deps,
        member,
        environment.id,
        { services: [{ name: 'api', image: 'nginx:1.27', desiredCount: 6 }] },
        `"${environment.version}"`,
      ),
    );

    expect(error.kind).toBe('quota-exceeded');
    expect(error.errors).toEqual([{ path: 'quota.tasks', message: 'limit 5, in use 2' }]);
    const after = await getEnvironment(deps, member, environment.id);
    expect(after.version).toBe(environment.version);
    expect(after.status).toBe('READY');
    expect(after.spec.services[0]?.desiredCount).toBe(2);
    expect((await usage()).tasks).toBe(2);
    expect(deps.workflows.started.filter((run) => run.kind === 'update')).toEqual([]);
  });

  it('moves usage by the difference when a PATCH fits', async () => {
    const environment = await makeReady(
      await created(createEnvironment(deps, member, request(team, 'web', 2))),
    );

    await updateEnvironment(
      deps,
      member,
      environment.id,
      { services: [{ name: 'api', image: 'nginx:1.27', desiredCount: 5 }] },
      `"${environment.version}"`,
    );

    expect(await usage()).toEqual({ environments: 1, tasks: 5, natGateways: 1, ec2Instances: 0 });
  });

  it('lets a PATCH shrink a team that is above a lowered limit', async () => {
    const environment = await makeReady(
      await created(createEnvironment(deps, member, request(team, 'web', 4))),
    );
    await putTeamQuotas(deps, admin, team, { tasks: 1 });

    await updateEnvironment(
      deps,
      member,
      environment.id,
      { services: [{ name: 'api', image: 'nginx:1.27', desiredCount: 2 }] },
      `"${environment.version}"`,
    );

    expect((await usage()).tasks).toBe(2);
  });
});
