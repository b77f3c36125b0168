/**
 * X-Ray through Powertools Tracer: off outside Lambda (clients untouched, steps run as they are); in
 * Lambda each step runs in a subsegment of its own, named after it and annotated with its
 * environment, whose SDK calls nest under it.
 */
import { ECSClient } from '@aws-sdk/client-ecs';

type TracingModule = typeof import('../../shared/aws/tracing');
interface XRaySegment {
  name: string;
  annotations?: Record<string, unknown>;
  fault?: boolean;
  cause?: { exceptions?: Array<{ message?: string }> };
}
type XRay = { getSegment(): XRaySegment | undefined };

const LAMBDA_ENVIRONMENT = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  LAMBDA_TASK_ROOT: '/var/task',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  // Segments go to a daemon over UDP; nothing listens on this loopback port, and UDP does not mind.
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2999',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
};

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

/** The tracing module (and the X-Ray SDK) loaded afresh under the given environment. */
function load(environment: Record<string, string>): { tracing: TracingModule; xray: XRay } {
  Object.assign(process.env, environment);
  let loaded: { tracing: TracingModule; xray: XRay } | undefined;
  jest.isolateModules(() => {
    loaded = {
      tracing: require('../../shared/aws/tracing') as TracingModule,
      xray: require('aws-xray-sdk-core') as XRay,
    };
  });
  if (!loaded) throw new Error('modules not loaded');
  return loaded;
}

describe('outside Lambda', () => {
  it('hands clients back untouched and runs a step without a segment', async () => {
    // Prepare
    delete process.env.AWS_EXECUTION_ENV;
    const { tracing } = load({});
    const client = new ECSClient({ region: 'us-east-1' });

    // Act
    const result = await tracing.stepSegment(
      'create-network',
      { environmentId: 'env-1' },
      async () => 'done',
    );

    // Assess
    expect(tracing.traced(client)).toBe(client);
    expect(result).toBe('done');
  });
});

describe('in Lambda', () => {
  it("runs a step in a subsegment named after it, annotated with the step's environment", async () => {
    // Prepare
    const { tracing, xray } = load(LAMBDA_ENVIRONMENT);

    // Act
    const seen = await tracing.stepSegment(
      'create-network',
      { environmentId: 'env-1', step: 'create-network' },
      async () => xray.getSegment(),
    );

    // Assess
    expect(seen?.name).toBe('## create-network');
    expect(seen?.annotations).toMatchObject({ environmentId: 'env-1', step: 'create-network' });
  });

  it('records a failing step on its subsegment and passes the error on', async () => {
    // Prepare
    const { tracing, xray } = load(LAMBDA_ENVIRONMENT);
    const failure = new Error('DependencyViolation');
    let segment: XRaySegment | undefined;

    // Act
    const outcome = tracing.stepSegment('teardown', { environmentId: 'env-2' }, async () => {
      segment = xray.getSegment();
      throw failure;
    });

    // Assess
    await expect(outcome).rejects.toBe(failure);
    expect(segment?.name).toBe('## teardown');
    expect(segment?.fault).toBe(true);
    expect(segment?.cause?.exceptions?.[0]?.message).toBe('DependencyViolation');
  });

  it("captures an SDK client so that its calls nest under the step's subsegment", () => {
    // Prepare
    const { tracing } = load(LAMBDA_ENVIRONMENT);
    const client = new ECSClient({ region: 'us-east-1' });
    const before = client.middlewareStack.identify().length;

    // Act
    const captured = tracing.traced(client);

    // Assess
    expect(captured.middlewareStack.identify().length).toBeGreaterThan(before);
  });
});
