/**
 * A function that runs past its Lambda timeout (serverless.yml `timeout`, else `provider.timeout`) fails
 * its task as Lambda reports it, `Sandbox.Timedout` with "Task timed out after N seconds", which a
 * Retry can name; within its timeout it answers as usual.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadServerlessProject } from '../src/definitions';
import { MAX_TIMER_SECONDS, prepareRunnable } from '../src/runnable';
import { type LocalStepFunctions, startStepFunctions } from '../src/server';

const ARN_PREFIX = 'arn:aws:states:us-east-1:000000000000';

/** A project whose `slow` function may run 1 s; `quick` takes the provider's 5 s. */
const SERVERLESS_YML = `service: berth
provider:
  name: aws
  timeout: 5
functions:
  slow:
    handler: functions/steps.slow
    timeout: 1
  quick:
    handler: functions/steps.quick
stepFunctions:
  stateMachines:
    retried:
      name: berth-test-retried
      definition:
        StartAt: Slow
        States:
          Slow:
            Type: Task
            Resource: berth-test-slow
            Retry:
              - ErrorEquals: [Sandbox.Timedout]
                IntervalSeconds: 1
                MaxAttempts: 1
            End: true
    unretried:
      name: berth-test-unretried
      definition:
        StartAt: Slow
        States:
          Slow:
            Type: Task
            Resource: berth-test-slow
            End: true
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Lambda function timeouts on the local endpoint', () => {
  let folder: string;
  let local: LocalStepFunctions;
  /** How long each call of `slow` takes, in order; later calls take the last. */
  let durations: number[];
  let calls: number;

  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'sfn-timeout-'));
    writeFileSync(path.join(folder, 'serverless.yml'), SERVERLESS_YML);
    local = await startStepFunctions({
      port: 0,
      serverlessYmlPath: path.join(folder, 'serverless.yml'),
      stage: 'test',
      invoke: 'in-process',
      timeScale: 0.01,
      handlers: {
        slow: async () => {
          const ms = durations[Math.min(calls, durations.length - 1)] ?? 0;
          calls += 1;
          await sleep(ms);
          return { tookMs: ms };
        },
      },
    });
  });

  beforeEach(() => {
    calls = 0;
  });

  afterAll(async () => {
    await local.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("reads each function's timeout, the provider's where it sets none", () => {
    // Act
    const { functions } = loadServerlessProject(path.join(folder, 'serverless.yml'), { stage: 'test' });

    // Assess
    expect(functions.slow?.timeoutSeconds).toBe(1);
    expect(functions.quick?.timeoutSeconds).toBe(5);
  });

  it("leaves a Lambda task without TimeoutSeconds to its function's timeout, not the package's 60 s", () => {
    // Prepare
    const definition = {
      StartAt: 'Open',
      States: {
        Open: { Type: 'Task', Resource: 'berth-test-slow', Next: 'Bounded' },
        Bounded: { Type: 'Task', Resource: 'berth-test-slow', TimeoutSeconds: 30, End: true },
      },
    };

    // Act
    const { definition: runnable } = prepareRunnable(definition, 0.01);

    // Assess
    const states = runnable.States as Record<string, { TimeoutSeconds?: number }>;
    expect(states.Open?.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(states.Bounded?.TimeoutSeconds).toBe(30);
  });

  it('fails a run past the timeout with Sandbox.Timedout and the time it was allowed', async () => {
    // Prepare
    durations = [1500];

    // Act
    const { executionArn } = await local.engine.startExecution({
      stateMachineArn: `${ARN_PREFIX}:stateMachine:berth-test-unretried`,
      input: '{}',
    });
    const execution = await local.engine.waitForExecution(executionArn, 10_000);

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Sandbox.Timedout');
    expect(JSON.parse(execution.cause ?? '{}')).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/^RequestId: \S+ Error: Task timed out after 1\.00 seconds$/),
    });
  });

  it('lets a Retry on Sandbox.Timedout run the step again, and a run within the timeout succeed', async () => {
    // Prepare
    durations = [1500, 10];

    // Act
    const { executionArn } = await local.engine.startExecution({
      stateMachineArn: `${ARN_PREFIX}:stateMachine:berth-test-retried`,
      input: '{}',
    });
    const execution = await local.engine.waitForExecution(executionArn, 10_000);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? 'null')).toEqual({ tookMs: 10 });
    expect(calls).toBe(2);
  });
});
