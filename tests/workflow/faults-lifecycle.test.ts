/**
 * Faults at every mutating AWS call of an UPDATE and a TEARDOWN, injected into the simulated AWS
 * while the real update and teardown state machines run the real step handlers:
 * - one transient failure (a 5xx the SDK's own retry absorbs) → READY with the new spec / DELETED
 *   with nothing left;
 * - a throttling burst beyond the SDK's retries → the state machine's Retry carries the step
 *   through → the same end state;
 * - a permanent failure → UPDATE_FAILED / DELETE_FAILED naming the step and the AWS error code; once
 *   the fault is gone, DELETE (again: a DELETE after DELETE_FAILED resumes) leaves nothing tagged.
 * Every row also checks that its fault fired as often as it was armed, so a row whose call the
 * workflow never makes fails instead of passing without testing anything.
 * `npm run test:workflow` runs a sample; `npm run test:faults` (BERTH_FAULTS=full) runs every row.
 */
import {
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { FaultInjector } from '@berth/aws-sim/faults';
import { createEnvironment } from '../../shared/app/create';
import { deleteEnvironment } from '../../shared/app/delete';
import { getEnvironment } from '../../shared/app/reads';
import { updateEnvironment } from '../../shared/app/update';
import type { Environment } from '../../shared/domain/environment';
import type { Caller } from '../../shared/http/identity';
import { memberOf } from '../support/callers';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

jest.setTimeout(240_000);

type Code = [code: string, status: number];

/** What a row provisions, and for an update the patch and what READY must then look like. */
type Scenario = 'lifecycle' | 'add-certificate' | 'drop-certificate' | 'ec2-capacity';

interface FaultRow {
  workflow: 'update' | 'teardown';
  /** The step the failure is reported from (`error.step` starts with it). */
  step: string;
  /** SigV4 signing name, as the simulator's faults take it. */
  service: string;
  operation: string;
  /** An error code AWS answers this call with and berth must not retry, with its HTTP status. */
  permanent: Code;
  scenario: Scenario;
  /** Only calls whose input contains this text (the call also serves other resources in the run). */
  match?: string;
  /** Before the teardown: a job task is running (StopTask has something to stop). */
  runningJob?: boolean;
  /**
   * The resource goes away by itself in a few AWS seconds (a job task finishing, a terminated
   * instance's ENI): AWS time stands still from this call (the one that makes the resource, or
   * makes it go) until the row's call goes through, so the call and its retries meet it still there.
   */
  holdFrom?: string;
  /** In the `npm run test:workflow` sample. */
  sample?: boolean;
}

/** One 5xx: the SDK retries it itself (three attempts in all), so the step never sees it. */
const ONCE: Record<string, Code> = {
  ec2: ['InternalError', 500],
  elasticloadbalancing: ['InternalFailure', 500],
  ecs: ['ServerException', 500],
  logs: ['ServiceUnavailableException', 500],
  route53: ['ServiceUnavailable', 503],
  scheduler: ['InternalServerException', 500],
  pipes: ['InternalException', 500],
  sqs: ['ServiceUnavailable', 503],
  autoscaling: ['InternalFailure', 500],
};

/** Each service's throttling answer. */
const THROTTLE: Record<string, Code> = {
  ec2: ['RequestLimitExceeded', 503],
  elasticloadbalancing: ['Throttling', 400],
  ecs: ['ThrottlingException', 400],
  logs: ['ThrottlingException', 400],
  // Route 53's answer to changes sent faster than it takes them.
  route53: ['PriorRequestNotComplete', 400],
  scheduler: ['ThrottlingException', 429],
  pipes: ['ThrottlingException', 429],
  sqs: ['RequestThrottled', 403],
  autoscaling: ['Throttling', 400],
};

const UNAUTHORIZED: Code = ['UnauthorizedOperation', 403];
const ELB_DENIED: Code = ['AccessDenied', 403];
const ECS_DENIED: Code = ['AccessDeniedException', 400];

const UPDATE_ROWS: FaultRow[] = [
  // create-routing: a target group and rule for the added service, the changed health check,
  // conditions and priority of the kept one.
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'CreateTargetGroup',
    permanent: ['TooManyTargetGroups', 400],
    scenario: 'lifecycle',
    match: '-api"',
  },
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'ModifyTargetGroup',
    permanent: ['InvalidConfigurationRequest', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'ModifyTargetGroupAttributes',
    permanent: ELB_DENIED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'CreateRule',
    permanent: ['TooManyRules', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'ModifyRule',
    permanent: ['InvalidLoadBalancerAction', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'SetRulePriorities',
    permanent: ['OperationNotPermitted', 400],
    scenario: 'lifecycle',
  },
  // create-routing: listeners follow the certificate.
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'CreateListener',
    permanent: ['CertificateNotFound', 400],
    scenario: 'add-certificate',
  },
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'ModifyListener',
    permanent: ['InvalidConfigurationRequest', 400],
    scenario: 'add-certificate',
  },
  {
    workflow: 'update',
    step: 'create-routing',
    service: 'elasticloadbalancing',
    operation: 'DeleteListener',
    permanent: ELB_DENIED,
    scenario: 'drop-certificate',
  },
  // prepare-service: the added service's log group, the changed retention and image.
  {
    workflow: 'update',
    step: 'prepare-service:api',
    service: 'logs',
    operation: 'CreateLogGroup',
    permanent: ['AccessDeniedException', 400],
    scenario: 'lifecycle',
    match: '/api"',
  },
  {
    workflow: 'update',
    step: 'prepare-service:web',
    service: 'logs',
    operation: 'PutRetentionPolicy',
    permanent: ['InvalidParameterException', 400],
    scenario: 'lifecycle',
    match: '/web"',
  },
  {
    workflow: 'update',
    step: 'prepare-service:web',
    service: 'ecs',
    operation: 'RegisterTaskDefinition',
    permanent: ['ClientException', 400],
    scenario: 'lifecycle',
    // The family `<cluster>-web`.
    match: '-web"',
    sample: true,
  },
  // create-service: the rolling update of the kept service, the added service.
  {
    workflow: 'update',
    step: 'create-service:web',
    service: 'ecs',
    operation: 'UpdateService',
    permanent: ['InvalidParameterException', 400],
    scenario: 'lifecycle',
    match: '"service":"web"',
    sample: true,
  },
  {
    workflow: 'update',
    step: 'create-service:api',
    service: 'ecs',
    operation: 'CreateService',
    permanent: ['PlatformUnknownException', 400],
    scenario: 'lifecycle',
  },
  // create-jobs: a changed job image and schedule, a changed queue, an added and two dropped jobs.
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'ecs',
    operation: 'RegisterTaskDefinition',
    permanent: ['ClientException', 400],
    scenario: 'lifecycle',
    match: '-nightly"',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'scheduler',
    operation: 'CreateScheduleGroup',
    permanent: ['ServiceQuotaExceededException', 402],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'scheduler',
    operation: 'CreateSchedule',
    permanent: ['ValidationException', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'scheduler',
    operation: 'UpdateSchedule',
    permanent: ['ValidationException', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'scheduler',
    operation: 'DeleteSchedule',
    permanent: ['AccessDeniedException', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'sqs',
    operation: 'CreateQueue',
    permanent: ['InvalidAttributeValue', 400],
    scenario: 'lifecycle',
    match: '-outbox"',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'sqs',
    operation: 'SetQueueAttributes',
    permanent: ['InvalidAttributeName', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'sqs',
    operation: 'DeleteQueue',
    permanent: ['AccessDenied', 403],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'pipes',
    operation: 'CreatePipe',
    permanent: ['ServiceQuotaExceededException', 402],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'pipes',
    operation: 'UpdatePipe',
    permanent: ['ValidationException', 400],
    scenario: 'lifecycle',
    sample: true,
  },
  {
    workflow: 'update',
    step: 'create-jobs',
    service: 'pipes',
    operation: 'DeletePipe',
    permanent: ['ValidationException', 400],
    scenario: 'lifecycle',
  },
  // remove-services: the service the update dropped, its rule and target group.
  {
    workflow: 'update',
    step: 'remove-services',
    service: 'ecs',
    operation: 'UpdateService',
    permanent: ECS_DENIED,
    scenario: 'lifecycle',
    // Its ARN ends in `/old`.
    match: '/old"',
  },
  {
    workflow: 'update',
    step: 'remove-services',
    service: 'ecs',
    operation: 'DeleteService',
    permanent: ['ClientException', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'remove-services',
    service: 'elasticloadbalancing',
    operation: 'DeleteRule',
    permanent: ['OperationNotPermitted', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'update',
    step: 'remove-services',
    service: 'elasticloadbalancing',
    operation: 'DeleteTargetGroup',
    permanent: ELB_DENIED,
    scenario: 'lifecycle',
  },
  // dns: the alias record is upserted after every update.
  {
    workflow: 'update',
    step: 'dns',
    service: 'route53',
    operation: 'ChangeResourceRecordSets',
    permanent: ['InvalidChangeBatch', 400],
    scenario: 'lifecycle',
  },
];

const TEARDOWN_ROWS: FaultRow[] = [
  // The DNS record, then jobs (schedule group, pipe, queues, running tasks).
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'route53',
    operation: 'ChangeResourceRecordSets',
    permanent: ['AccessDenied', 403],
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'scheduler',
    operation: 'DeleteScheduleGroup',
    permanent: ['AccessDeniedException', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'pipes',
    operation: 'DeletePipe',
    permanent: ['ValidationException', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'sqs',
    operation: 'DeleteQueue',
    permanent: ['AccessDenied', 403],
    scenario: 'lifecycle',
    sample: true,
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ecs',
    operation: 'StopTask',
    permanent: ECS_DENIED,
    scenario: 'lifecycle',
    runningJob: true,
    holdFrom: 'RunTask',
  },
  // Services and their log groups.
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ecs',
    operation: 'UpdateService',
    permanent: ECS_DENIED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ecs',
    operation: 'DeleteService',
    permanent: ['ClientException', 400],
    scenario: 'lifecycle',
    sample: true,
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'logs',
    operation: 'DeleteLogGroup',
    permanent: ['AccessDeniedException', 400],
    scenario: 'lifecycle',
  },
  // The load balancer: rules, listeners, the ALB, target groups.
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'elasticloadbalancing',
    operation: 'DeleteRule',
    permanent: ['OperationNotPermitted', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'elasticloadbalancing',
    operation: 'DeleteListener',
    permanent: ELB_DENIED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'elasticloadbalancing',
    operation: 'DeleteLoadBalancer',
    // Deletion protection on.
    permanent: ['OperationNotPermitted', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'elasticloadbalancing',
    operation: 'DeleteTargetGroup',
    permanent: ELB_DENIED,
    scenario: 'lifecycle',
  },
  // The cluster: EC2 capacity (capacity provider, Auto Scaling group, launch template), task
  // definitions, the cluster itself.
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ecs',
    operation: 'PutClusterCapacityProviders',
    permanent: ['InvalidParameterException', 400],
    scenario: 'ec2-capacity',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ecs',
    operation: 'DeleteCapacityProvider',
    permanent: ECS_DENIED,
    scenario: 'ec2-capacity',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'autoscaling',
    operation: 'DeleteAutoScalingGroup',
    permanent: ['AccessDenied', 403],
    scenario: 'ec2-capacity',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DeleteLaunchTemplate',
    permanent: UNAUTHORIZED,
    scenario: 'ec2-capacity',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ecs',
    operation: 'DeregisterTaskDefinition',
    permanent: ['ClientException', 400],
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ecs',
    operation: 'DeleteTaskDefinitions',
    permanent: ECS_DENIED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ecs',
    operation: 'DeleteCluster',
    permanent: ECS_DENIED,
    scenario: 'lifecycle',
  },
  // The network, in reverse dependency order.
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DeleteNatGateway',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
    sample: true,
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'ReleaseAddress',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DetachInternetGateway',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DeleteInternetGateway',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
  // A terminated container instance's ENI is left `available` for a while: berth deletes it.
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DeleteNetworkInterface',
    permanent: UNAUTHORIZED,
    scenario: 'ec2-capacity',
    holdFrom: 'DeleteAutoScalingGroup',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DisassociateRouteTable',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DeleteRouteTable',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DeleteSubnet',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'RevokeSecurityGroupIngress',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DeleteSecurityGroup',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
  {
    workflow: 'teardown',
    step: 'teardown',
    service: 'ec2',
    operation: 'DeleteVpc',
    permanent: UNAUTHORIZED,
    scenario: 'lifecycle',
  },
];

const ROWS = [...UPDATE_ROWS, ...TEARDOWN_ROWS];
const rows = process.env.BERTH_FAULTS === 'full' ? ROWS : ROWS.filter((row) => row.sample);

const TIME_SCALE = 0.0005;
/** AWS time all but stopped: a wall second is a microsecond. */
const STOPPED = 1e6;
const CERTIFICATE = 'arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555';

let stack: WorkflowStack;
let route53: Route53Client;
let hostedZoneId: string;
let counter = 0;

beforeAll(async () => {
  stack = await startWorkflowStack({ timeScale: TIME_SCALE });
  route53 = new Route53Client({
    endpoint: stack.simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const zone = await route53.send(
    new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `faults-lifecycle-${process.pid}` }),
  );
  hostedZoneId = (zone.HostedZone?.Id ?? '').replace('/hostedzone/', '');
});

afterAll(async () => {
  route53.destroy();
  await stack.stop();
});

afterEach(async () => {
  jest.restoreAllMocks();
  await stack.clearFaults();
  stack.simulator.sim.clock.setScale(TIME_SCALE);
});

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

interface Provisioned {
  caller: Caller;
  environment: Environment;
  recordName?: string;
}

/** Two services and four jobs (two triggers each), with a DNS record: most of what berth builds. */
function lifecycleRequest(team: string, recordName: string) {
  return {
    name: 'life',
    team,
    dns: { hostedZoneId, recordName },
    services: [
      { name: 'web', image: 'nginx:1.27' },
      { name: 'old', image: 'nginx:1.27', routing: { pathPatterns: ['/old/*'] } },
    ],
    jobs: [
      { name: 'nightly', image: 'example/report:1.0', trigger: { schedule: 'cron(0 3 * * ? *)' } },
      { name: 'weekly', service: 'web', trigger: { schedule: 'cron(0 5 ? * MON *)' } },
      { name: 'inbox', service: 'web', trigger: { queue: { maxReceiveCount: 3 } } },
      { name: 'legacy', service: 'old', trigger: { queue: {} } },
    ],
  };
}

/**
 * What the `lifecycle` update changes: web's image (new revision, rolling update), health check
 * (ModifyTargetGroup), host header (ModifyRule), priority (SetRulePriorities) and log retention; an
 * added service `api`; `old` removed; a changed job image and schedule, a changed queue (and with
 * web's new revision its pipe), an added queue job, two jobs dropped.
 */
function lifecyclePatch(recordName: string) {
  return {
    services: [
      {
        name: 'web',
        image: 'nginx:1.28',
        healthCheck: { path: '/health' },
        routing: { priority: 500, hostHeaders: [recordName] },
        logging: { retentionDays: 14 },
      },
      { name: 'api', image: 'nginx:1.27', routing: { pathPatterns: ['/api/*'] } },
    ],
    jobs: [
      { name: 'nightly', image: 'example/report:1.1', trigger: { schedule: 'cron(0 4 * * ? *)' } },
      {
        name: 'inbox',
        service: 'web',
        trigger: { queue: { maxReceiveCount: 3, visibilityTimeoutSeconds: 60 } },
      },
      { name: 'outbox', service: 'api', trigger: { queue: {} } },
    ],
  };
}

async function provision(scenario: Scenario): Promise<Provisioned> {
  counter += 1;
  const team = `lc${process.pid % 10_000}-${counter}`;
  const caller: Caller = memberOf(team);
  const recordName = `${team}.example.com`;
  const web = [{ name: 'web', image: 'nginx:1.27' }];
  await stack.grantTeamPolicy(team, {
    hostedZones: [{ hostedZoneId, recordNameSuffixes: [recordName] }],
    certificates: [CERTIFICATE],
  });
  const request =
    scenario === 'lifecycle'
      ? lifecycleRequest(team, recordName)
      : scenario === 'ec2-capacity'
        ? {
            name: 'metal',
            team,
            cluster: {
              capacity: 'EC2',
              ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 2, desiredCapacity: 1 },
            },
            services: web,
          }
        : {
            name: 'tls',
            team,
            ...(scenario === 'drop-certificate' ? { loadBalancer: { certificateArn: CERTIFICATE } } : {}),
            services: web,
          };
  const outcome = await createEnvironment(stack.deps, caller, request);
  if (outcome.kind === 'dry-run') throw new Error('unexpected dry run');
  await stack.settle(outcome.environment.id);
  const environment = await getEnvironment(stack.deps, caller, outcome.environment.id);
  if (environment.status !== 'READY') {
    throw new Error(
      `${scenario} did not provision: ${environment.status} ${JSON.stringify(environment.error)}`,
    );
  }
  return { caller, environment, ...(scenario === 'lifecycle' ? { recordName } : {}) };
}

function patchOf(scenario: Scenario, provisioned: Provisioned): unknown {
  switch (scenario) {
    case 'lifecycle':
      return lifecyclePatch(provisioned.recordName ?? '');
    case 'add-certificate':
      return { loadBalancer: { certificateArn: CERTIFICATE } };
    case 'drop-certificate':
      return { loadBalancer: { certificateArn: null } };
    case 'ec2-capacity':
      throw new Error('the ec2-capacity scenario has no update');
  }
}

type Resource = Record<string, unknown>;

function resources(inventory: Record<string, unknown[]>, type: string): Resource[] {
  return (inventory[type] ?? []) as Resource[];
}

/** The updated environment is what the patch asked for. */
async function expectUpdated(scenario: Scenario, provisioned: Provisioned, environment: Environment) {
  const inventory = await stack.inventory(environment.id);
  if (scenario === 'lifecycle') {
    // The alias still points at the load balancer (Route 53 answers names with the final dot).
    expect((await aliasRecord(provisioned.recordName ?? ''))?.AliasTarget?.DNSName).toBe(
      `${environment.outputs.loadBalancerDnsName}.`,
    );
    const active = resources(inventory, 'ecs-service').filter((service) => service.status === 'ACTIVE');
    expect(active.map((service) => service.name).sort()).toEqual(['api', 'web']);
    expect(active.find((service) => service.name === 'web')?.taskDefinition).toMatch(/-web:2$/);
    expect(
      resources(inventory, 'target-group')
        .map((group) => String(group.name).replace(/^.*-/, ''))
        .sort(),
    ).toEqual(['api', 'web']);
    expect(resources(inventory, 'listener-rule')).toHaveLength(2);
    expect(resources(inventory, 'sqs-queue')).toHaveLength(3);
    expect(environment.outputs.jobs?.map((job) => job.name)).toEqual(['nightly', 'inbox', 'outbox']);
    return;
  }
  const listeners = resources(inventory, 'listener').sort((a, b) => Number(a.port) - Number(b.port));
  const defaultActions = listeners.map((listener) => (listener.defaultActions as Resource[])[0]?.Type);
  // Every service rule sits on the listener that serves: 443 with a certificate, else 80. A forward
  // rule left on a redirecting 80 would go on serving plain HTTP.
  const ruleListeners = resources(inventory, 'listener-rule').map((rule) => rule.listenerArn);
  expect(ruleListeners.length).toBeGreaterThan(0);
  expect(new Set(ruleListeners)).toEqual(new Set([listeners.at(-1)?.arn]));
  if (scenario === 'add-certificate') {
    expect(listeners.map((listener) => listener.port)).toEqual([80, 443]);
    expect(defaultActions).toEqual(['redirect', 'fixed-response']);
  } else {
    expect(listeners.map((listener) => listener.port)).toEqual([80]);
    expect(defaultActions).toEqual(['fixed-response']);
  }
}

// ---------------------------------------------------------------------------------------------
// Faults, the clock, and the workflows
// ---------------------------------------------------------------------------------------------

async function inject(row: FaultRow, [code, status]: Code, count?: number): Promise<void> {
  const { service, operation, match } = row;
  await stack.injectFault({ service, operation, code, status, count, match, message: `injected ${code}` });
}

/**
 * Stops AWS time at the row's `holdFrom` call, and lets it run again once the row's call goes
 * through with its faults spent (or when the test ends).
 */
function holdClock(row: FaultRow): void {
  const { sim } = stack.simulator;
  const spy = jest.spyOn(sim.faults, 'check').mockImplementation((service, operation, input) => {
    const fault = FaultInjector.prototype.check.call(sim.faults, service, operation, input);
    if (operation === row.holdFrom) sim.clock.setScale(STOPPED);
    const spent = !sim.faults.list().some((installed) => installed.operation === row.operation);
    if (!fault && service === row.service && operation === row.operation && spent) {
      sim.clock.setScale(TIME_SCALE);
      spy.mockRestore();
    }
    return fault;
  });
}

async function update(provisioned: Provisioned, patch: unknown): Promise<Environment> {
  const { caller, environment } = provisioned;
  await updateEnvironment(stack.deps, caller, environment.id, patch, `"${environment.version}"`);
  await stack.settle(environment.id);
  return getEnvironment(stack.deps, caller, environment.id);
}

async function destroy(provisioned: Provisioned): Promise<Environment> {
  const { caller, environment } = provisioned;
  await deleteEnvironment(stack.deps, caller, environment.id);
  await stack.settle(environment.id, 120_000);
  return getEnvironment(stack.deps, caller, environment.id);
}

/** The environment's alias record, if the zone still has it. */
async function aliasRecord(recordName: string) {
  const { ResourceRecordSets = [] } = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId }),
  );
  return ResourceRecordSets.find((record) => record.Name === `${recordName}.` && record.Type === 'A');
}

/** DELETE → DELETED (no error left from a failure before), nothing tagged left, the alias record gone. */
async function expectDestroyed(provisioned: Provisioned, deleted?: Environment): Promise<void> {
  const environment = deleted ?? (await destroy(provisioned));
  expect(environment.status).toBe('DELETED');
  expect(environment.error).toBeUndefined();
  expect(await stack.inventory(environment.id)).toEqual({});
  if (provisioned.recordName) expect(await aliasRecord(provisioned.recordName)).toBeUndefined();
}

/** A job task running when the teardown starts (`holdFrom: 'RunTask'`, or it would finish first). */
async function startJobTask(provisioned: Provisioned): Promise<void> {
  // Loaded now: the module's ECS client must see the endpoints the stack set.
  const { taskRunner } = await import('../../shared/aws/tasks');
  const { runTasks } = await import('../../shared/app/tasks');
  const { caller, environment } = provisioned;
  const deps = { store: stack.store, tasks: taskRunner };
  const [task] = await runTasks(deps, caller, environment.id, { job: 'nightly' });
  expect(task?.desiredStatus).toBe('RUNNING');
}

/** The faults of a transient column fired exactly as often as armed (they are removed then). */
async function expectSpent(): Promise<void> {
  expect(await stack.installedFaults()).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

describe.each(rows)('$workflow: $operation in $step', (row) => {
  /** Provisions, arms the fault, runs the row's workflow: its end state. */
  async function run(code: Code, count?: number): Promise<{ provisioned: Provisioned; result: Environment }> {
    const provisioned = await provision(row.scenario);
    if (row.holdFrom) holdClock(row);
    if (row.runningJob) await startJobTask(provisioned);
    await inject(row, code, count);
    const result =
      row.workflow === 'update'
        ? await update(provisioned, patchOf(row.scenario, provisioned))
        : await destroy(provisioned);
    return { provisioned, result };
  }

  /** A transient column: the fault was spent, and the workflow ended as if it had never been there. */
  async function expectConverged(provisioned: Provisioned, result: Environment): Promise<void> {
    await expectSpent();
    expect(result.error).toBeUndefined();
    if (row.workflow === 'update') {
      expect(result.status).toBe('READY');
      await expectUpdated(row.scenario, provisioned, result);
      await expectDestroyed(provisioned);
    } else {
      await expectDestroyed(provisioned, result);
    }
  }

  it('fails once (5xx) → the SDK retries → converges', async () => {
    const { provisioned, result } = await run(ONCE[row.service] as Code, 1);

    await expectConverged(provisioned, result);
  });

  it('is throttled beyond the SDK retries → retried by the workflow → converges', async () => {
    // The SDK makes three attempts; four failures make the step itself fail once and be retried.
    const { provisioned, result } = await run(THROTTLE[row.service] as Code, 4);

    await expectConverged(provisioned, result);
  });

  it('fails permanently → *_FAILED naming the step and code; DELETE once it is gone leaves nothing', async () => {
    // No count: the call fails for as long as the fault is installed.
    const { provisioned, result } = await run(row.permanent);

    expect(result.status).toBe(row.workflow === 'update' ? 'UPDATE_FAILED' : 'DELETE_FAILED');
    expect(result.error).toMatchObject({ code: row.permanent[0] });
    expect(result.error?.step ?? '').toMatch(new RegExp(`^${row.step}`));

    await stack.clearFaults();
    stack.simulator.sim.clock.setScale(TIME_SCALE);
    await expectDestroyed(provisioned);
  });
});
