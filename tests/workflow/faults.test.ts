/**
 * Faults at every provisioning step, injected into the simulated AWS:
 * - a permanent failure (an error the step does not retry) → FAILED with the step and the AWS
 *   error code, and the rollback leaves no tagged resource behind;
 * - one transient failure (a 5xx) → the SDK's own retry absorbs it and the environment reaches READY;
 * - a transient failure (throttling, more than the SDK's own retries absorb) → the state machine's
 *   Retry carries the step through and the environment reaches READY.
 * `npm run test:workflow` runs a sample; `npm run test:faults` (BERTH_FAULTS=full) runs every row.
 */
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(180_000);

interface FaultRow {
  step: string;
  service: string;
  operation: string;
  /** An error code the step treats as permanent, with its HTTP status. */
  permanent: [code: string, status: number];
  /** The service's throttling answer. */
  transient: [code: string, status: number];
  /** When an earlier step calls the same operation: let its calls through, or match this step's input. */
  after?: number;
  match?: string;
}

/** One 5xx answer per service, as AWS gives it when it fails a call internally. */
const ONCE: Record<string, [code: string, status: number]> = {
  ec2: ['InternalError', 500],
  elasticloadbalancing: ['InternalFailure', 500],
  ecs: ['ServerException', 500],
  logs: ['ServiceUnavailableException', 500],
};

const EC2_THROTTLE: [string, number] = ['RequestLimitExceeded', 503];
const ELB_THROTTLE: [string, number] = ['Throttling', 400];
const ECS_THROTTLE: [string, number] = ['ThrottlingException', 400];

const ROWS: FaultRow[] = [
  {
    step: 'create-network',
    service: 'ec2',
    operation: 'CreateVpc',
    permanent: ['VpcLimitExceeded', 400],
    transient: EC2_THROTTLE,
  },
  {
    step: 'create-network',
    service: 'ec2',
    operation: 'CreateSubnet',
    permanent: ['InvalidSubnet.Range', 400],
    transient: EC2_THROTTLE,
  },
  {
    step: 'create-network',
    service: 'ec2',
    operation: 'AuthorizeSecurityGroupIngress',
    permanent: ['RulesPerSecurityGroupLimitExceeded', 400],
    transient: EC2_THROTTLE,
  },
  {
    step: 'create-network',
    service: 'ec2',
    operation: 'CreateNatGateway',
    permanent: ['NatGatewayLimitExceeded', 400],
    transient: EC2_THROTTLE,
  },
  // create-network looks for existing NAT gateways once before the wait loop polls them.
  {
    step: 'nat-gateways-available',
    service: 'ec2',
    operation: 'DescribeNatGateways',
    permanent: ['UnauthorizedOperation', 403],
    transient: EC2_THROTTLE,
    after: 1,
  },
  // create-network also creates routes (to the internet gateway); the NAT routes name a nat- id.
  {
    step: 'route-through-nat',
    service: 'ec2',
    operation: 'CreateRoute',
    permanent: ['RouteLimitExceeded', 400],
    transient: EC2_THROTTLE,
    match: 'nat-',
  },
  {
    step: 'create-load-balancer',
    service: 'elasticloadbalancing',
    operation: 'CreateLoadBalancer',
    permanent: ['TooManyLoadBalancers', 400],
    transient: ELB_THROTTLE,
  },
  {
    step: 'load-balancer-active',
    service: 'elasticloadbalancing',
    operation: 'DescribeLoadBalancers',
    permanent: ['AccessDenied', 403],
    transient: ELB_THROTTLE,
  },
  {
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'CreateTargetGroup',
    permanent: ['TooManyTargetGroups', 400],
    transient: ELB_THROTTLE,
  },
  {
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'CreateRule',
    permanent: ['TooManyRules', 400],
    transient: ELB_THROTTLE,
  },
  {
    step: 'create-cluster',
    service: 'ecs',
    operation: 'CreateCluster',
    permanent: ['InvalidParameterException', 400],
    transient: ECS_THROTTLE,
  },
  {
    step: 'prepare-service',
    service: 'logs',
    operation: 'CreateLogGroup',
    permanent: ['InvalidParameterException', 400],
    transient: ['ThrottlingException', 400],
  },
  {
    step: 'prepare-service',
    service: 'ecs',
    operation: 'RegisterTaskDefinition',
    permanent: ['ClientException', 400],
    transient: ECS_THROTTLE,
  },
  {
    step: 'create-service',
    service: 'ecs',
    operation: 'CreateService',
    permanent: ['PlatformUnknownException', 400],
    transient: ECS_THROTTLE,
  },
  // create-service looks the service up once before creating it.
  {
    step: 'services-stable',
    service: 'ecs',
    operation: 'DescribeServices',
    permanent: ['AccessDeniedException', 400],
    transient: ECS_THROTTLE,
    after: 1,
  },
];

const SAMPLE = new Set(['CreateVpc', 'CreateLoadBalancer', 'CreateService', 'DescribeNatGateways']);
const rows = process.env.BERTH_FAULTS === 'full' ? ROWS : ROWS.filter((row) => SAMPLE.has(row.operation));

let stack: WorkflowStack;
let counter = 0;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: 0.0005 });
});

afterAll(async () => {
  await stack.stop();
});

afterEach(async () => {
  await stack.clearFaults();
});

async function inject(row: FaultRow, [code, status]: [string, number], count: number) {
  const { service, operation, after, match } = row;
  await stack.injectFault({
    service,
    operation,
    code,
    status,
    count,
    after,
    match,
    message: `injected ${code}`,
  });
}

async function provision(): Promise<{ caller: Caller; environment: Environment }> {
  counter += 1;
  const team = `flt${process.pid % 10_000}-${counter}`;
  const caller: Caller = memberOf(team);
  const outcome = await createEnvironment(stack.deps, caller, {
    name: 'faulty',
    team,
    services: [{ name: 'web', image: 'nginx:1.27' }],
  });
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  return { caller, environment: await getEnvironment(stack.deps, caller, outcome.environment.id) };
}

describe.each(rows)('$operation in $step', (row) => {
  it('fails permanently → FAILED naming the step and code, nothing left', async () => {
    // One failure is enough: the step does not retry it, so the Catch compensates at once.
    await inject(row, row.permanent, 1);

    const { environment } = await provision();

    expect(environment.status).toBe('FAILED');
    expect(environment.error).toMatchObject({ code: row.permanent[0] });
    expect(environment.error?.step ?? '').toMatch(new RegExp(`^${row.step}`));
    expect(await stack.inventory(environment.id)).toEqual({});
  });

  it('fails once (5xx) → absorbed by the SDK retry → READY', async () => {
    // One failure: the SDK's second attempt goes through, so the step never sees it.
    await inject(row, ONCE[row.service] as [string, number], 1);

    const { caller, environment } = await provision();

    expect(await stack.installedFaults()).toEqual([]);
    expect(environment.error).toBeUndefined();
    expect(environment.status).toBe('READY');
    await deleteEnvironment(stack.deps, caller, environment.id);
    await stack.settle(environment.id);
    expect(await stack.inventory(environment.id)).toEqual({});
  });

  it('is throttled beyond the SDK retries → retried by the workflow → READY', async () => {
    // The SDK makes three attempts; four failures make the step itself fail once and be retried.
    await inject(row, row.transient, 4);

    const { caller, environment } = await provision();

    expect(environment.error).toBeUndefined();
    expect(environment.status).toBe('READY');
    await deleteEnvironment(stack.deps, caller, environment.id);
    await stack.settle(environment.id);
    expect(await stack.inventory(environment.id)).toEqual({});
  });
});
