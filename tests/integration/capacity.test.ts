/**
 * Capacity at request time, through the create and update use cases against DynamoDB Local: a VPC
 * too small for the load balancer and a deployment's tasks, or EC2 instances with too few ENIs for
 * them, is refused with 422 naming the field, and nothing is written or started
 * (docs/aws-facts.md#subnet-addresses-and-eni-capacity).
 */
import { createEnvironment } from '../../shared/app/create';
import type { Dependencies } from '../../shared/app/ports';
import { listEnvironments } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Caller } from '../../shared/http/identity';
import { EnvironmentStore } from '../../shared/store/environments';
import { memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { RecordingWorkflows, rejection } from '../support/recording-workflows';

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

const ec2 = (maxSize: number) => ({
  capacity: 'EC2',
  ec2: { instanceType: 't3.medium', minSize: 1, maxSize, desiredCapacity: 1 },
});

function request(extra: Record<string, unknown> = {}, desiredCount = 1) {
  return { name: 'web', team, services: [{ name: 'api', image: 'nginx:1.27', desiredCount }], ...extra };
}

describe('creating an environment', () => {
  it('refuses a /24 VPC with 422 at /network/cidr, naming the minimum, and writes nothing', async () => {
    const error = await rejection(
      createEnvironment(deps, caller, request({ network: { cidr: '10.77.0.0/24' } })),
    );

    expect(error.kind).toBe('unprocessable');
    expect(error.errors).toEqual([
      {
        path: '/network/cidr',
        message: expect.stringMatching(/plans \/28 subnets.*the minimum is a \/23 VPC$/),
      },
    ]);
    expect((await listEnvironments(deps, caller, { limit: 10 })).items).toEqual([]);
    expect(deps.workflows.started).toEqual([]);
  });

  it('refuses a /23 VPC for a large service, and accepts the /23 for a small one', async () => {
    // 60 tasks × 200 % over 2 zones: 60 per application subnet; a /23 plans /27s of 27.
    const large = await rejection(
      createEnvironment(deps, caller, request({ network: { cidr: '10.78.0.0/23' } }, 60)),
    );
    const small = await createEnvironment(deps, caller, request({ network: { cidr: '10.78.0.0/23' } }, 2));

    expect(large.errors?.map((issue) => issue.path)).toEqual(['/network/cidr']);
    // A /22 plans /26s of 59, one short.
    expect(large.errors?.[0]?.message).toMatch(/60 per application subnet.*the minimum is a \/21 VPC$/);
    expect(small.kind).toBe('created');
  });

  it('refuses more tasks than maxSize t3.medium instances hold with 422 at /cluster/ec2/maxSize', async () => {
    // 3 desired × 200 % = 6 tasks; one t3.medium holds 2.
    const error = await rejection(createEnvironment(deps, caller, request({ cluster: ec2(1) }, 3)));
    const fitting = await createEnvironment(deps, caller, request({ cluster: ec2(3) }, 3));

    expect(error.kind).toBe('unprocessable');
    expect(error.errors).toEqual([
      { path: '/cluster/ec2/maxSize', message: expect.stringContaining('use maxSize 3 or more') },
    ]);
    expect(fitting.kind).toBe('created');
  });

  it('answers the same refusal to a dry run', async () => {
    const error = await rejection(
      createEnvironment(deps, caller, request({ network: { cidr: '10.79.0.0/24' } }), { dryRun: true }),
    );

    expect(error.errors?.map((issue) => issue.path)).toEqual(['/network/cidr']);
  });
});

describe('updating an environment', () => {
  it('refuses a desiredCount its EC2 capacity cannot hold, and leaves the environment as it was', async () => {
    const outcome = await createEnvironment(deps, caller, request({ cluster: ec2(2) }, 1));
    if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
    const { id } = outcome.environment;
    await store.update(id, { status: 'REQUESTED' }, { status: 'PROVISIONING' });
    const ready = await store.update(id, { status: 'PROVISIONING' }, { status: 'READY' });

    const error = await rejection(
      updateEnvironment(
        deps,
        caller,
        id,
        { services: [{ name: 'api', image: 'nginx:1.27', desiredCount: 3 }] },
        `"${ready.version}"`,
      ),
    );
    const after = await store.get(id);

    expect(error.kind).toBe('unprocessable');
    expect(error.errors?.map((issue) => issue.path)).toEqual(['/cluster/ec2/maxSize']);
    expect(after?.version).toBe(ready.version);
    expect(after?.spec.services[0]?.desiredCount).toBe(1);
  });
});
