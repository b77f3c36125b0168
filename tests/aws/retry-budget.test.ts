/**
 * The SDK retry budgets of shared/aws/retry-budget.ts: what a client built with each resolves to, that
 * a step's EC2 call outlasts a run of throttled answers that the SDK's default gives up on, and that
 * each step budget's worst-case throttling backoff leaves room in the shortest step timeout of
 * infra/functions/steps.js, and that no client of shared/aws is built without one
 * (docs/aws-facts.md#throttling-at-scale-retry-budgets).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ec2 } from '@berth/aws-sim/services/ec2';
import {
  type RetryBudget,
  requestCalls,
  stepCalls,
  stepCallsToThrottledApis,
} from '../../shared/aws/retry-budget';
import { type SimulatedAws, startAws } from './simulated-aws';

const stepFunctions = require('../../infra/functions/steps.js') as Record<string, { timeout: number }>;
const SHARED_AWS = path.join(__dirname, '..', '..', 'shared', 'aws');

/** The SDK's throttling backoff before retry i (0-based): full jitter under min(1 s × 2^i, 20 s). */
function worstCaseThrottledWaitSeconds(budget: RetryBudget): number {
  let total = 0;
  for (let retry = 0; retry < budget.maxAttempts - 1; retry += 1) total += Math.min(2 ** retry, 20);
  return total;
}

describe('SDK retry budgets', () => {
  let aws: SimulatedAws;

  beforeAll(async () => {
    aws = await startAws([ec2]);
  });

  afterAll(async () => {
    await aws.stop();
  });

  afterEach(() => {
    aws.running.sim.faults.clear();
  });

  /** An EC2 client with the simulator's endpoint and the budget's retry settings (not the suite's one attempt). */
  function clientWith(budget?: RetryBudget): EC2Client {
    const { maxAttempts: _oneAttempt, ...endpoint } = aws.clientConfig;
    return new EC2Client({ ...endpoint, ...(budget ?? {}) });
  }

  function throttleDescribeVpcs(times: number): void {
    aws.running.sim.faults.add([
      {
        service: 'ec2',
        operation: 'DescribeVpcs',
        code: 'RequestLimitExceeded',
        status: 503,
        message: 'Request limit exceeded.',
        count: times,
      },
    ]);
  }

  it('builds EC2 and ELBv2 step clients in adaptive mode with six attempts', async () => {
    // Prepare
    const client = clientWith(stepCallsToThrottledApis);

    // Act
    const strategy = await client.config.retryStrategy();
    const attempts = await client.config.maxAttempts();

    // Assess
    expect(strategy).toHaveProperty('mode', 'adaptive');
    expect(attempts).toBe(6);
    client.destroy();
  });

  it("outlasts three throttled answers in a row that the SDK's default of three attempts gives up on", async () => {
    // Prepare
    const budgeted = clientWith(stepCallsToThrottledApis);
    const sdkDefault = clientWith();

    // Act
    throttleDescribeVpcs(3);
    const withDefault = await sdkDefault.send(new DescribeVpcsCommand({})).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    throttleDescribeVpcs(3);
    const withBudget = await budgeted.send(new DescribeVpcsCommand({}));

    // Assess
    expect(withDefault).toBe('RequestLimitExceeded');
    expect(withBudget.$metadata.attempts).toBe(4);
    expect(withBudget.Vpcs).toBeDefined();
    budgeted.destroy();
    sdkDefault.destroy();
  }, 30_000);

  it('gives up after the budgeted attempts, leaving the rest to the workflow Retry', async () => {
    // Prepare
    const budgeted = clientWith(stepCalls);
    aws.running.sim.faults.add([
      { service: 'ec2', operation: 'DescribeVpcs', code: 'InternalError', status: 500, count: 10 },
    ]);

    // Act
    const failure = await budgeted.send(new DescribeVpcsCommand({})).then(
      () => undefined,
      (error: Error & { $metadata?: { attempts?: number } }) => error,
    );

    // Assess
    expect(failure?.name).toBe('InternalError');
    expect(failure?.$metadata?.attempts).toBe(stepCalls.maxAttempts);
    budgeted.destroy();
  });

  it('builds every SDK client of shared/aws with a budget, never with the bare defaults', () => {
    // Prepare
    const modules = readdirSync(SHARED_AWS).filter((file) => file.endsWith('.ts'));

    // Act
    const bare = modules.flatMap((file) => {
      const source = readFileSync(path.join(SHARED_AWS, file), 'utf8');
      return [...source.matchAll(/new (\w+Client)\((\{\s*\})?\)/g)].map((match) => `${file}: ${match[0]}`);
    });
    const budgeted = modules.filter((file) =>
      /new \w+Client\((stepCallsToThrottledApis|stepCalls|requestCalls|sqsConfig)\)/.test(
        readFileSync(path.join(SHARED_AWS, file), 'utf8'),
      ),
    );

    // Assess
    expect(bare).toEqual([]);
    expect(budgeted.length).toBeGreaterThanOrEqual(10);
  });

  it("keeps each step budget's worst-case throttling wait within 60% of the shortest step timeout", () => {
    // Prepare
    const shortestStepTimeout = Math.min(...Object.values(stepFunctions).map((step) => step.timeout));

    // Act
    const waits = [stepCallsToThrottledApis, stepCalls].map(worstCaseThrottledWaitSeconds);

    // Assess
    // The rest of the step's time is for its other calls; a step that still overruns is retried whole.
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(shortestStepTimeout * 0.6);
    expect(worstCaseThrottledWaitSeconds(requestCalls)).toBeLessThanOrEqual(3);
  });
});
