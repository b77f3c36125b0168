/**
 * Quota-aware admission against DynamoDB Local and the simulated AWS: the account's VPC quota (five,
 * the default VPC among them) admits four environments and refuses the fifth with a 429 naming the
 * AWS quota, before anything is written; racing creates for the last slot end one admitted and one
 * refused; a clean teardown gives the slot back; an update that grows past a quota changes nothing.
 * Each test has an account of its own (a simulator with its own account id), so reservations in the
 * shared table never meet.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { type RunningSimulator, startSimulator } from '@berth/aws-sim/server';
import type { AccountQuotaPolicy } from '../../shared/app/account-quotas';
import { createEnvironment } from '../../shared/app/create';
import type { Dependencies } from '../../shared/app/ports';
import { updateEnvironment } from '../../shared/app/update';
import { accountQuotaReader } from '../../shared/aws/service-quotas';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { STATUS_OF } from '../../shared/http/problem';
import { AccountUsageStore } from '../../shared/store/account-usage';
import { EnvironmentStore } from '../../shared/store/environments';
import { executionNames } from '../../shared/workflow/executions';
import { memberOf, uniqueTeam } from '../support/callers';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';
import { RecordingWorkflows, rejection } from '../support/recording-workflows';

let simulator: RunningSimulator;
let serviceQuotas: ServiceQuotasClient;
let ec2: EC2Client;
let usage: AccountUsageStore;
let store: EnvironmentStore;
let workflows: RecordingWorkflows;
let deps: Dependencies;
let team: string;
let member: Caller;
let account: string;

beforeEach(async () => {
  account = String(100_000_000_000 + Math.floor(Math.random() * 800_000_000_000));
  simulator = await startSimulator({ port: 0, timeScale: 0.001, seed: 11, accountId: account });
  const clientConfig = {
    endpoint: simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  serviceQuotas = new ServiceQuotasClient(clientConfig);
  ec2 = new EC2Client(clientConfig);
  usage = new AccountUsageStore(testDocumentClient(), TEST_TABLE);
  const accountQuotas: AccountQuotaPolicy = {
    // Read afresh on every request: each test changes quotas and usage between requests.
    readQuotas: accountQuotaReader({ serviceQuotas, ec2 }),
    reserved: (scope) => usage.getUsage(scope),
  };
  store = new EnvironmentStore(testDocumentClient(), TEST_TABLE);
  workflows = new RecordingWorkflows();
  deps = { store, workflows, accountQuotas, region: 'us-east-1' };
  team = uniqueTeam('aq');
  member = memberOf(team);
});

afterEach(async () => {
  serviceQuotas.destroy();
  ec2.destroy();
  await simulator.close();
});

const scope = () => ({ account, region: 'us-east-1' });

function request(name: string, natGateways: 'none' | 'single' | 'per-az' = 'single') {
  return { name, team, network: { natGateways }, services: [{ name: 'api', image: 'nginx:1.27' }] };
}

async function created(
  name: string,
  natGateways: 'none' | 'single' | 'per-az' = 'single',
): Promise<Environment> {
  const outcome = await createEnvironment(deps, member, request(name, natGateways));
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  return outcome.environment;
}

async function setQuotas(quotas: Record<string, number>): Promise<void> {
  const response = await fetch(`${simulator.url}/_local/quotas`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ quotas }),
  });
  if (!response.ok) throw new Error(`the simulator refused the quotas: ${await response.text()}`);
}

/** Ends an environment's life as a DELETE and a clean teardown do (finish-teardown's writes). */
async function tearDown(environment: Environment): Promise<void> {
  const provision = executionNames.provision(environment.id);
  await store.update(environment.id, { owner: provision, status: 'REQUESTED' }, { status: 'PROVISIONING' });
  await store.update(environment.id, { owner: provision, status: 'PROVISIONING' }, { status: 'READY' });
  const teardown = executionNames.teardown(environment.id, 1);
  await store.update(environment.id, { status: 'READY' }, { status: 'DELETING', owner: teardown });
  const deleted = await store.update(
    environment.id,
    { owner: teardown, status: 'DELETING' },
    { status: 'DELETED' },
  );
  await store.releaseAccountUsage(deleted);
}

describe('quota-aware admission', () => {
  it('admits four environments beside the default VPC and refuses the fifth, naming the VPC quota', async () => {
    // Prepare
    for (const name of ['one', 'two', 'three']) await created(name);

    // Act
    const fourth = await created('four');
    const fifth = await rejection(createEnvironment(deps, member, request('five')));

    // Assess
    expect(fourth.status).toBe('REQUESTED');
    expect(STATUS_OF[fifth.kind]).toBe(429);
    expect(fifth.detail).toContain(
      '"VPCs per Region" (vpc L-F678F1CE: quota 5, in use 5, this needs 1 more)',
    );
    expect(fifth.detail).toContain('RequestServiceQuotaIncrease');
    expect(fifth.errors).toContainEqual({
      path: 'awsQuota.vpc.L-F678F1CE',
      message: 'VPCs per Region: quota 5, in use 5, needs 1 more',
    });
    expect((await store.list({ teams: [team], limit: 10 })).items.map((item) => item.name).sort()).toEqual([
      'four',
      'one',
      'three',
      'two',
    ]);
    expect(workflows.started).toHaveLength(4);
    expect((await usage.getUsage(scope())).vpcs).toBe(4);
  });

  it('lets exactly one of two creates racing for the last VPC in', async () => {
    // Prepare
    for (const name of ['one', 'two', 'three']) await created(name);

    // Act
    const outcomes = await Promise.allSettled([
      createEnvironment(deps, member, request('left')),
      createEnvironment(deps, member, request('right')),
    ]);

    // Assess
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ kind: 'quota-exceeded' });
    expect(String(refused[0]?.detail)).toContain('L-F678F1CE');
    expect((await usage.getUsage(scope())).vpcs).toBe(4);
    expect((await store.list({ teams: [team], limit: 10 })).items).toHaveLength(4);
  });

  it('gives the slot back once, when the teardown has removed everything', async () => {
    // Prepare
    const environments = [];
    for (const name of ['one', 'two', 'three', 'four']) environments.push(await created(name));
    const first = environments[0];
    if (!first) throw new Error('nothing created');

    // Act
    await tearDown(first);
    await store.releaseAccountUsage((await store.get(first.id)) ?? first);
    const replacement = await created('five');

    // Assess
    expect(replacement.status).toBe('REQUESTED');
    expect((await usage.getUsage(scope())).vpcs).toBe(4);
  });

  it('gives the reservation back when the workflow cannot start (a refusal at request time)', async () => {
    // Prepare
    await created('one');
    workflows.failNextStart = true;

    // Act
    const refused = await rejection(createEnvironment(deps, member, request('two')));

    // Assess
    expect(STATUS_OF[refused.kind]).toBe(503);
    expect((await usage.getUsage(scope())).vpcs).toBe(1);
  });

  it('counts raised quotas: Service Quotas says 6, so a fifth environment fits', async () => {
    // Prepare: each environment has an internet gateway too, and the default VPC one.
    await setQuotas({ 'vpc/L-F678F1CE': 6, 'vpc/L-A4707A72': 6 });
    for (const name of ['one', 'two', 'three', 'four']) await created(name);

    // Act
    const fifth = await created('five');
    const sixth = await rejection(createEnvironment(deps, member, request('six')));

    // Assess
    expect(fifth.status).toBe('REQUESTED');
    expect(sixth.detail).toContain('quota 6, in use 6');
  });

  it('refuses an update that needs more Fargate vCPUs than the account has, and changes nothing', async () => {
    // Prepare: one task of 0.25 vCPU holds one of the one vCPU the account may run.
    await setQuotas({ 'fargate/L-3032A538': 1 });
    const environment = await created('web');
    const provision = executionNames.provision(environment.id);
    await store.update(environment.id, { owner: provision, status: 'REQUESTED' }, { status: 'PROVISIONING' });
    const ready = await store.update(
      environment.id,
      { owner: provision, status: 'PROVISIONING' },
      { status: 'READY' },
    );

    // Act: eight tasks need two vCPUs.
    const refused = await rejection(
      updateEnvironment(
        deps,
        member,
        ready.id,
        { services: [{ name: 'api', image: 'nginx:1.27', desiredCount: 8 }] },
        `"${ready.version}"`,
      ),
    );

    // Assess
    expect(STATUS_OF[refused.kind]).toBe(429);
    expect(refused.detail).toContain(
      '"Fargate On-Demand vCPU resource count" (fargate L-3032A538: quota 1, in use 1, this needs 1 more)',
    );
    const after = await store.get(ready.id);
    expect(after?.version).toBe(ready.version);
    expect(after?.spec.services[0]?.desiredCount).toBe(1);
    expect((await usage.getUsage(scope())).fargateVcpus).toBe(1);
  });
});
