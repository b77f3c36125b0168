/**
 * Where AWS still refuses a build on an account quota (usage berth did not make, which admission
 * could not see), the environment ends FAILED naming the quota, and the rollback leaves nothing.
 * The workflow stack's use cases admit without reading the account's quotas, so the simulated AWS
 * is the one that refuses here.
 */
import { resolve } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { issueFunctionCredentials } from '../../local/function-identities';
import { createEnvironment } from '../../shared/app/create';
import { getEnvironment } from '../../shared/app/reads';
import { accountQuotaReader } from '../../shared/aws/service-quotas';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(120_000);

let stack: WorkflowStack;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
});

afterAll(async () => {
  await stack.stop();
});

async function setAccountQuotas(quotas: Record<string, number | null>): Promise<void> {
  const response = await fetch(`${stack.simulator.url}/_local/quotas`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ quotas }),
  });
  if (!response.ok) throw new Error(`the simulator refused the quotas: ${await response.text()}`);
}

it('ends FAILED with VpcLimitExceeded and the quota named when the account has no VPC left', async () => {
  // Prepare: the account's default VPC alone fills a quota of one.
  const team = `aqwf${process.pid % 10_000}`;
  const caller = memberOf(team);
  await setAccountQuotas({ 'vpc/L-F678F1CE': 1 });

  // Act
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'full',
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  const failed = await getEnvironment(stack.deps, caller, outcome.environment.id);
  await setAccountQuotas({ 'vpc/L-F678F1CE': null });

  // Assess
  expect(failed.status).toBe('FAILED');
  expect(failed.error).toMatchObject({ step: 'create-network', code: 'VpcLimitExceeded' });
  expect(failed.error?.message).toContain('The maximum number of VPCs has been reached.');
  expect(failed.error?.message).toContain('"VPCs per Region" (vpc L-F678F1CE)');
  expect(await stack.inventory(failed.id)).toEqual({});
});

it.each(['createEnvironment', 'updateEnvironment', 'slackCommands'])(
  "lets %s read the account's quotas and usage with its own role",
  async (functionKey) => {
    // Prepare: the function's credentials, as the local stack issues them from serverless.yml's roles.
    const credentials = await issueFunctionCredentials(
      stack.simulator.sim,
      resolve(__dirname, '..', '..', 'serverless.yml'),
      'test',
    );
    const ownRole = credentials[`berth-test-${functionKey}`];
    if (!ownRole) throw new Error(`no credentials for ${functionKey}`);
    const config = { endpoint: stack.simulator.url, region: 'us-east-1', credentials: ownRole };
    const serviceQuotas = new ServiceQuotasClient(config);
    const ec2 = new EC2Client(config);

    // Act
    const snapshot = await accountQuotaReader({ serviceQuotas, ec2 })();

    // Assess: the default VPC and its internet gateway are the account's own.
    expect(snapshot.values).toMatchObject({ vpcs: 5, elasticIps: 5, loadBalancers: 50 });
    expect(snapshot.external).toMatchObject({ vpcs: 1, internetGateways: 1 });
    serviceQuotas.destroy();
    ec2.destroy();
  },
);
