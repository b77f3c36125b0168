import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { loadServerlessProject } from '../src/definitions';
import { type LocalStepFunctions, startStepFunctions } from '../src/server';

const FIXTURES = path.join(__dirname, 'fixtures');
const SERVERLESS_YML = path.join(FIXTURES, 'serverless.yml');
const ARN_PREFIX = 'arn:aws:states:us-east-1:000000000000';
const WORKFLOW_ARN = `${ARN_PREFIX}:stateMachine:berth-test-workflow`;
const PAUSE_ARN = `${ARN_PREFIX}:stateMachine:berth-test-pause`;

function sfnClient(endpoint: LocalStepFunctions): SFNClient {
  return new SFNClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function waitUntilClosed(
  sfn: SFNClient,
  executionArn: string,
): Promise<DescribeExecutionCommandOutput> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (description.status !== 'RUNNING') return description;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${executionArn} did not close`);
}

async function fullHistory(sfn: SFNClient, executionArn: string, pageSize: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: pageSize, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}

describe('serverless.yml loading', () => {
  it('resolves names, file() definitions and every Lambda reference to deployed function names', () => {
    // Act
    const project = loadServerlessProject(SERVERLESS_YML, { stage: 'test' });

    // Assess
    expect(project.stateMachines.map((m) => m.name)).toEqual(['berth-test-workflow', 'berth-test-pause']);
    const workflow = project.stateMachines[0]?.definition;
    const states = workflow?.States as Record<string, Record<string, unknown>>;
    expect(states.Prepare?.Resource).toBe('berth-test-prepare');
    expect(states.Flaky?.Resource).toBe('berth-test-flaky'); // !GetAtt short form
    expect(states.Broken?.Resource).toBe('berth-test-broken'); // logical id form
    expect(JSON.stringify(states.Fanout)).toContain('"FunctionName":"berth-test-echo"');
  });

  it('exposes each function key with its handler path', () => {
    // Act
    const { functions } = loadServerlessProject(SERVERLESS_YML, { stage: 'test' });

    // Assess
    expect(functions.flaky).toMatchObject({
      deployedName: 'berth-test-flaky',
      handler: 'functions/steps.flaky',
      modulePath: path.join(FIXTURES, 'functions/steps'),
      exportName: 'flaky',
    });
  });
});

describe('local Step Functions endpoint (in-process handlers, time scale 0.001)', () => {
  let endpoint: LocalStepFunctions;
  let sfn: SFNClient;

  beforeAll(async () => {
    endpoint = await startStepFunctions({
      port: 0,
      serverlessYmlPath: SERVERLESS_YML,
      stage: 'test',
      invoke: 'in-process',
      timeScale: 0.001,
    });
    sfn = sfnClient(endpoint);
  });

  afterAll(async () => {
    sfn.destroy();
    await endpoint.close();
  });

  describe('the fixture workflow', () => {
    let executionArn: string;
    let result: DescribeExecutionCommandOutput;
    let wallMs: number;

    beforeAll(async () => {
      const started = Date.now();
      const start = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: WORKFLOW_ARN,
          name: 'fixture-run',
          input: JSON.stringify({ runId: 'fixture-run', items: [1, 2, 3], waitSeconds: 100 }),
        }),
      );
      executionArn = start.executionArn ?? '';
      result = await waitUntilClosed(sfn, executionArn);
      wallMs = Date.now() - started;
    });

    it('succeeds through Task, Retry, Catch, Parallel, Map, Wait and a Choice loop', () => {
      // Assess
      expect(result.status).toBe('SUCCEEDED');
      const output = JSON.parse(result.output ?? '{}');
      expect(output.prepared).toEqual({ prepared: true, runId: 'fixture-run' });
      expect(output.flaky).toBe('recovered');
      expect(output.parallel).toEqual([{ echoed: { from: 'branch-a', runId: 'fixture-run' } }, 'branch-b']);
      expect(output.doubled).toEqual([2, 4, 6]);
      expect(output.round).toBe(3);
    });

    it('keeps the input beside the caught error, with the error name as Error and the Lambda payload as Cause', () => {
      // Assess
      const output = JSON.parse(result.output ?? '{}');
      expect(output.items).toEqual([1, 2, 3]);
      expect(output.brokenError.Error).toBe('QuotaExceeded');
      expect(JSON.parse(output.brokenError.Cause)).toMatchObject({
        errorType: 'QuotaExceeded',
        errorMessage: 'no capacity left',
      });
    });

    it('scales waits and retry intervals (250 s of AWS time in well under 5 s)', () => {
      // Assess: 100 s + 100 s waits, 2 × 10 s loop pauses, 10 s + 20 s retry intervals = 250 s.
      expect(wallMs).toBeGreaterThanOrEqual(250);
      expect(wallMs).toBeLessThan(5_000);
    });

    it('counts exactly the invocations, retries and transitions of the known path', async () => {
      // Act
      const response = await fetch(
        `${endpoint.url}/_local/executions/${encodeURIComponent(executionArn)}/stats`,
      );
      const stats = (await response.json()) as Record<string, number>;

      // Assess: Prepare 1 + Flaky 3 + Broken 1 + Echo 1 + Double 3 + Poll 3 = 12 invocations.
      // Transitions: 22 states entered (Prepare, Flaky, Broken, Fanout, Echo, Note, EachItem,
      // Double ×3, WaitFixed, WaitFromInput, StartLoop, Poll ×3, Ready ×3, PauseBeforePoll ×2,
      // Done) + 2 retries = 24.
      expect(response.status).toBe(200);
      expect(stats).toMatchObject({ lambdaInvocations: 12, retries: 2, stateTransitions: 24 });
      expect(stats.durationMs).toBeGreaterThan(0);
    });

    it('pages through the history in Step Functions shape', async () => {
      // Act
      const events = await fullHistory(sfn, executionArn, 7);

      // Assess
      expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
      expect(events[0]).toMatchObject({ type: 'ExecutionStarted', previousEventId: 0 });
      expect(events[0]?.timestamp).toBeInstanceOf(Date);
      expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
      const types = events.map((e) => e.type);
      for (const type of [
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionFailed',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'ParallelStateEntered',
        'TaskScheduled',
        'MapIterationStarted',
        'WaitStateEntered',
        'ChoiceStateEntered',
        'SucceedStateEntered',
      ]) {
        expect(types).toContain(type);
      }
      const scheduled = types.filter((t) => t === 'LambdaFunctionScheduled' || t === 'TaskScheduled');
      expect(scheduled).toHaveLength(12);
      const flakyFailure = events.find((e) => e.type === 'LambdaFunctionFailed');
      expect(flakyFailure?.lambdaFunctionFailedEventDetails?.error).toBe('ThrottlingException');
    });

    it('returns the history newest first with reverseOrder', async () => {
      // Act
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
      );

      // Assess
      expect(page.events?.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'SucceedStateExited']);
      expect(page.nextToken).toBeDefined();
    });
  });

  it('waits SecondsPath × time scale: 100 s at 0.001 takes about 0.1 s', async () => {
    // Prepare
    const started = Date.now();

    // Act
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: PAUSE_ARN, input: JSON.stringify({ seconds: 100 }) }),
    );
    const description = await waitUntilClosed(sfn, executionArn ?? '');

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('returns the same execution for the same name and input while it runs', async () => {
    // Prepare
    const request = { stateMachineArn: PAUSE_ARN, name: 'same-twice', input: '{"seconds":100000}' };
    const first = await sfn.send(new StartExecutionCommand(request));

    // Act
    const second = await sfn.send(new StartExecutionCommand(request));

    // Assess
    expect(second.executionArn).toBe(`${ARN_PREFIX}:execution:berth-test-pause:same-twice`);
    expect(second.executionArn).toBe(first.executionArn);
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
  });

  it('answers ExecutionAlreadyExists for the same name with another input', async () => {
    // Prepare
    const request = { stateMachineArn: PAUSE_ARN, name: 'other-input', input: '{"seconds":100000}' };
    const { executionArn } = await sfn.send(new StartExecutionCommand(request));

    // Act
    const attempt = sfn.send(new StartExecutionCommand({ ...request, input: '{"seconds":1}' }));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await sfn.send(new StopExecutionCommand({ executionArn }));
  });

  it('answers ExecutionAlreadyExists for the name of a closed execution, even with the same input', async () => {
    // Prepare
    const request = { stateMachineArn: PAUSE_ARN, name: 'closed-one', input: '{"seconds":0}' };
    const { executionArn } = await sfn.send(new StartExecutionCommand(request));
    await waitUntilClosed(sfn, executionArn ?? '');

    // Act
    const attempt = sfn.send(new StartExecutionCommand(request));

    // Assess
    await expect(attempt).rejects.toThrow(ExecutionAlreadyExists);
  });

  it('rejects names over 80 characters or with forbidden characters as InvalidName', async () => {
    // Act
    const tooLong = sfn.send(new StartExecutionCommand({ stateMachineArn: PAUSE_ARN, name: 'x'.repeat(81) }));
    const withSpace = sfn.send(new StartExecutionCommand({ stateMachineArn: PAUSE_ARN, name: 'has space' }));

    // Assess
    await expect(tooLong).rejects.toBeInstanceOf(InvalidName);
    await expect(withSpace).rejects.toBeInstanceOf(InvalidName);
  });

  it('stops a running execution as ABORTED with the given error and cause', async () => {
    // Prepare
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: PAUSE_ARN, name: 'to-stop', input: '{"seconds":100000}' }),
    );

    // Act
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'changed my mind' }));

    // Assess
    const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(description).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'changed my mind' });
    expect(description.stopDate).toBeInstanceOf(Date);
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
    );
    expect(history.events?.[0]?.type).toBe('ExecutionAborted');
  });

  it('lists executions of a state machine newest first, by status, a page at a time', async () => {
    // Prepare
    const running = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: PAUSE_ARN,
        name: 'listed-running',
        input: '{"seconds":100000}',
      }),
    );

    // Act
    const onlyRunning = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: PAUSE_ARN, statusFilter: 'RUNNING' }),
    );
    const aborted = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: PAUSE_ARN, statusFilter: 'ABORTED' }),
    );
    const firstPage = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: PAUSE_ARN, maxResults: 2 }),
    );
    const secondPage = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: PAUSE_ARN,
        maxResults: 2,
        nextToken: firstPage.nextToken,
      }),
    );

    // Assess
    expect(onlyRunning.executions?.map((e) => e.name)).toEqual(['listed-running']);
    expect(aborted.executions?.map((e) => e.name)).toEqual(expect.arrayContaining(['to-stop', 'same-twice']));
    expect(aborted.executions?.every((e) => e.status === 'ABORTED')).toBe(true);
    expect(firstPage.executions?.[0]?.name).toBe('listed-running');
    expect(firstPage.executions).toHaveLength(2);
    const firstNames = firstPage.executions?.map((e) => e.name) ?? [];
    expect(secondPage.executions?.some((e) => firstNames.includes(e.name))).toBe(false);
    await sfn.send(new StopExecutionCommand({ executionArn: running.executionArn }));
  });

  it('registers a state machine at runtime and runs it with explicitly passed handlers', async () => {
    // Prepare
    const definition = {
      StartAt: 'Greet',
      States: { Greet: { Type: 'Task', Resource: 'berth-test-greet', End: true } },
    };
    const local = await startStepFunctions({
      port: 0,
      stage: 'test',
      invoke: 'in-process',
      handlers: { greet: async (event: { who: string }) => `hello ${event.who}` },
    });
    const client = sfnClient(local);

    try {
      // Act
      const created = await client.send(
        new CreateStateMachineCommand({
          name: 'greeter',
          definition: JSON.stringify(definition),
          roleArn: 'arn:aws:iam::000000000000:role/x',
        }),
      );
      const { executionArn } = await client.send(
        new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, input: '{"who":"berth"}' }),
      );
      const description = await waitUntilClosed(client, executionArn ?? '');

      // Assess
      expect(created.stateMachineArn).toBe(`${ARN_PREFIX}:stateMachine:greeter`);
      expect(description.output).toBe('"hello berth"');
      const listed = await client.send(new ListStateMachinesCommand({}));
      expect(listed.stateMachines?.map((m) => m.name)).toEqual(['greeter']);
      const described = await client.send(
        new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }),
      );
      expect(JSON.parse(described.definition ?? '{}')).toEqual(definition);
    } finally {
      client.destroy();
      await local.close();
    }
  });
});

describe('Lambda invoke API path (a stand-in for serverless-offline)', () => {
  let lambda: Server;
  const invoked: string[] = [];
  let endpoint: LocalStepFunctions;
  let sfn: SFNClient;
  const previousEndpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;

  beforeAll(async () => {
    // Mimics Lambda's `POST /2015-03-31/functions/{name}/invocations`: a function error is a 200
    // with `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage}` as the payload.
    lambda = createServer((request, response) => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.url ?? '');
      const name = decodeURIComponent(match?.[1] ?? '');
      invoked.push(name);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
        if (name === 'berth-test-broken') {
          response.writeHead(200, {
            'content-type': 'application/json',
            'x-amz-function-error': 'Unhandled',
          });
          response.end(
            JSON.stringify({ errorType: 'QuotaExceeded', errorMessage: 'no capacity left', trace: [] }),
          );
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ function: name, event }));
      });
    });
    await new Promise<void>((resolve) => lambda.listen(0, '127.0.0.1', resolve));
    process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`;
    const definition = {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Task', Resource: 'berth-test-prepare', ResultPath: '$.prepared', Next: 'Broken' },
        Broken: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:000000000000:function:berth-test-broken',
          Retry: [{ ErrorEquals: ['QuotaExceeded'], IntervalSeconds: 1, MaxAttempts: 1 }],
          Catch: [{ ErrorEquals: ['QuotaExceeded'], ResultPath: '$.error', Next: 'Echo' }],
          Next: 'Echo',
        },
        Echo: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'berth-test-echo', 'Payload.$': '$.prepared.event' },
          ResultPath: '$.echo',
          End: true,
        },
      },
    };
    endpoint = await startStepFunctions({
      port: 0,
      stage: 'test',
      invoke: 'lambda-api',
      timeScale: 0.001,
      definitions: [{ name: 'berth-test-remote', definition }],
    });
    sfn = sfnClient(endpoint);
  });

  afterAll(async () => {
    sfn.destroy();
    await endpoint.close();
    await new Promise((resolve) => lambda.close(resolve));
    if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    else process.env.AWS_ENDPOINT_URL_LAMBDA = previousEndpoint;
  });

  it('invokes functions by deployed name and maps Lambda function errors onto Retry and Catch', async () => {
    // Act
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: `${ARN_PREFIX}:stateMachine:berth-test-remote`,
        input: '{"n":1}',
      }),
    );
    const description = await waitUntilClosed(sfn, executionArn ?? '');

    // Assess
    expect(description.status).toBe('SUCCEEDED');
    expect(invoked).toEqual([
      'berth-test-prepare',
      'berth-test-broken',
      'berth-test-broken',
      'berth-test-echo',
    ]);
    const output = JSON.parse(description.output ?? '{}');
    expect(output.prepared).toEqual({ function: 'berth-test-prepare', event: { n: 1 } });
    expect(output.error.Error).toBe('QuotaExceeded');
    expect(JSON.parse(output.error.Cause)).toMatchObject({ errorMessage: 'no capacity left' });
    expect(output.echo).toMatchObject({
      StatusCode: 200,
      Payload: { function: 'berth-test-echo', event: { n: 1 } },
    });
    expect(endpoint.engine.getExecutionStats(executionArn ?? '')).toMatchObject({
      lambdaInvocations: 4,
      retries: 1,
    });
  });
});
