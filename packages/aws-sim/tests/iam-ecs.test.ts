/**
 * ECS calls made as roles with berth's kind of grants (infra/functions/steps.js, infra/grants.js,
 * infra/service-roles.js): each create succeeds with berth's tag, the tag-on-create grant and the
 * role-passing grant, and ECS answers AccessDeniedException naming the action and resource when one
 * of them is missing; changes and deletes act only on what carries berth's tag.
 */
import {
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  ECSClient,
  ListTaskDefinitionFamiliesCommand,
  ListTasksCommand,
  PutClusterCapacityProvidersCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Statement } from '../src/iam/policy';
import type { AutoScalingGroupResource } from '../src/services/autoscaling-model';
import { ec2 } from '../src/services/ec2';
import { ecs } from '../src/services/ecs';
import { arn, asRole, refusalOf } from './iam-session';
import { createNetwork, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let operator: ECSClient;
let network: TestNetwork;
const clients: ECSClient[] = [];

beforeAll(async () => {
  services = await startServices([ec2, ecs]);
  operator = new ECSClient(services.clientConfig);
});

afterAll(async () => {
  operator.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  services.running.sim.iam.enforce = true;
  network = await createNetwork(services);
});

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

// berth's building blocks (infra/grants.js), with this account's ARNs.
// An environment's execution role, and the task roles a spec may name (taskRoleArnPattern's default).
const EXECUTION_ROLE = 'arn:aws:iam::000000000000:role/berth-env-1a2b3c-execution';
const TASK_ROLE_PATTERN = 'arn:aws:iam::000000000000:role/berth-task-*';
const BERTH_TAGS = [{ key: 'berth:managed-by', value: 'berth' }];
const requestTagBerth = { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } };
const resourceTagBerth = { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } };
const ecsClusterOfAccount = { ArnLike: { 'ecs:cluster': arn('ecs', 'cluster/*') } };
const ecsClusterArns = [arn('ecs', 'cluster/*'), arn('ecs', 'capacity-provider/*')];

function allow(
  sid: string,
  action: string | string[],
  resource: string | string[],
  condition?: Statement['Condition'],
): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: action,
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  };
}

const passTaskRoles = allow(
  'PassTaskRoles',
  'iam:PassRole',
  ['arn:aws:iam::000000000000:role/berth-env-*-execution', TASK_ROLE_PATTERN],
  { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
);

/** steps.js createCluster (its ECS part). */
const createClusterGrants: Statement[] = [
  allow('Describe', 'ecs:DescribeClusters', arn('ecs', 'cluster/*')),
  allow('Create', ['ecs:CreateCluster', 'ecs:CreateCapacityProvider'], ecsClusterArns, requestTagBerth),
  allow('TagOnCreate', 'ecs:TagResource', ecsClusterArns, {
    StringEquals: { 'ecs:CreateAction': ['CreateCluster', 'CreateCapacityProvider'] },
  }),
  allow('Attach', 'ecs:PutClusterCapacityProviders', arn('ecs', 'cluster/*'), resourceTagBerth),
];

/** steps.js prepareService (its ECS part). */
const prepareServiceGrants: Statement[] = [
  allow('Describe', 'ecs:DescribeTaskDefinition', '*'),
  allow('Register', 'ecs:RegisterTaskDefinition', arn('ecs', 'task-definition/*'), requestTagBerth),
  allow('TagOnCreate', 'ecs:TagResource', arn('ecs', 'task-definition/*'), {
    StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
  }),
  passTaskRoles,
];

/** steps.js createService. */
const createServiceGrants: Statement[] = [
  allow('Describe', 'ecs:DescribeServices', arn('ecs', 'service/*')),
  allow('Create', 'ecs:CreateService', arn('ecs', 'service/*'), requestTagBerth),
  allow('TagOnCreate', 'ecs:TagResource', arn('ecs', 'service/*'), {
    StringEquals: { 'ecs:CreateAction': 'CreateService' },
  }),
  allow('Update', 'ecs:UpdateService', arn('ecs', 'service/*'), resourceTagBerth),
];

/** service-roles.js JobsRole (its ECS part). */
const jobsGrants: Statement[] = [
  allow('Run', 'ecs:RunTask', arn('ecs', 'task-definition/*'), {
    ...ecsClusterOfAccount,
    ...resourceTagBerth,
  }),
  allow('TagOnRun', 'ecs:TagResource', arn('ecs', 'task/*'), {
    StringEquals: { 'ecs:CreateAction': 'RunTask' },
  }),
  passTaskRoles,
];

/** steps.js teardownPass (its ECS part). */
const teardownGrants: Statement[] = [
  allow('ListTasks', 'ecs:ListTasks', '*', ecsClusterOfAccount),
  allow('Read', 'ecs:DescribeClusters', arn('ecs', 'cluster/*')),
  allow(
    'Delete',
    ['ecs:StopTask', 'ecs:PutClusterCapacityProviders', 'ecs:DeleteCluster'],
    [arn('ecs', 'cluster/*'), arn('ecs', 'task/*')],
    resourceTagBerth,
  ),
];

/** steps.js teardown: the task-definition part (listings on '*', deletion of berth's revisions). */
const taskDefinitionTeardownGrants: Statement[] = [
  allow(
    'List',
    ['ecs:ListTaskDefinitionFamilies', 'ecs:ListTaskDefinitions', 'ecs:DeregisterTaskDefinition'],
    '*',
  ),
  allow('Delete', 'ecs:DeleteTaskDefinitions', arn('ecs', 'task-definition/*'), resourceTagBerth),
];

const without = (statements: Statement[], sid: string) => statements.filter((s) => s.Sid !== sid);

function ecsAs(roleName: string, statements: Statement[]): ECSClient {
  const client = new ECSClient(asRole(services, roleName, statements));
  clients.push(client);
  return client;
}

function webDefinition(
  overrides: Partial<RegisterTaskDefinitionCommandInput> = {},
): RegisterTaskDefinitionCommandInput {
  return {
    family: 'berth-dev-web',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    executionRoleArn: EXECUTION_ROLE,
    containerDefinitions: [{ name: 'web', image: 'public.ecr.aws/nginx/nginx:latest', essential: true }],
    tags: BERTH_TAGS,
    ...overrides,
  };
}

/** Fixtures made with the operator's credentials (not evaluated). */
async function operatorCluster(name: string, tags = BERTH_TAGS) {
  await operator.send(new CreateClusterCommand({ clusterName: name, capacityProviders: ['FARGATE'], tags }));
}

async function operatorTaskDefinition(): Promise<string> {
  const registered = await operator.send(new RegisterTaskDefinitionCommand(webDefinition()));
  return registered.taskDefinition?.taskDefinitionArn ?? '';
}

function serviceInput(cluster: string, name: string, taskDefinition: string, tags = BERTH_TAGS) {
  return {
    cluster,
    serviceName: name,
    taskDefinition,
    desiredCount: 0,
    launchType: 'FARGATE' as const,
    networkConfiguration: { awsvpcConfiguration: { subnets: network.subnetIds } },
    tags,
  };
}

function runInput(cluster: string, taskDefinition: string, tags = BERTH_TAGS) {
  return {
    cluster,
    taskDefinition,
    launchType: 'FARGATE' as const,
    networkConfiguration: { awsvpcConfiguration: { subnets: network.subnetIds } },
    tags,
  };
}

/** An Auto Scaling group as the Auto Scaling simulation records one (a capacity provider names it). */
function putAutoScalingGroup(name: string): string {
  const groupArn = arn('autoscaling', `autoScalingGroup:1d2c3b4a:autoScalingGroupName/${name}`);
  services.running.sim.store.put<AutoScalingGroupResource>({
    type: 'autoscaling-group',
    id: name,
    arn: groupArn,
    name,
    launchTemplate: {
      LaunchTemplateId: 'lt-0123456789abcdef0',
      LaunchTemplateName: name,
      Version: '$Latest',
    },
    minSize: 0,
    maxSize: 2,
    desiredCapacity: 0,
    subnets: [...network.subnetIds],
    groupTags: [],
    newInstancesProtectedFromScaleIn: false,
    healthCheckType: 'EC2',
    healthCheckGracePeriod: 0,
    defaultCooldown: 300,
    capacityRebalance: false,
    instances: [],
    deleting: false,
    launched: 0,
    tags: {},
    createdAt: Date.now(),
  });
  return groupArn;
}

describe('createCluster', () => {
  it('creates a cluster that carries berth’s tag', async () => {
    // Prepare
    const client = ecsAs('CreateClusterRole', createClusterGrants);

    // Act
    const created = await client.send(
      new CreateClusterCommand({ clusterName: 'berth-dev', tags: BERTH_TAGS }),
    );

    // Assess
    expect(created.cluster?.status).toBe('ACTIVE');
  });

  it('refuses a cluster without berth’s tag with AccessDeniedException naming ecs:CreateCluster', async () => {
    // Prepare
    const client = ecsAs('CreateClusterRole', createClusterGrants);

    // Act
    const refusal = await refusalOf(client.send(new CreateClusterCommand({ clusterName: 'berth-dev' })));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(
      `not authorized to perform: ecs:CreateCluster on resource: ${arn('ecs', 'cluster/berth-dev')}`,
    );
  });

  it('refuses a tagged cluster when tagging on create is not granted', async () => {
    // Prepare
    const client = ecsAs('CreateClusterRole', without(createClusterGrants, 'TagOnCreate'));

    // Act
    const refusal = await refusalOf(
      client.send(new CreateClusterCommand({ clusterName: 'berth-dev', tags: BERTH_TAGS })),
    );

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(
      `not authorized to perform: ecs:TagResource on resource: ${arn('ecs', 'cluster/berth-dev')}`,
    );
  });

  it('creates a tagged capacity provider and attaches it to berth’s cluster', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const groupArn = putAutoScalingGroup('berth-dev');
    const client = ecsAs('CreateClusterRole', createClusterGrants);

    // Act
    await client.send(
      new CreateCapacityProviderCommand({
        name: 'berth-dev-ec2',
        autoScalingGroupProvider: { autoScalingGroupArn: groupArn },
        tags: BERTH_TAGS,
      }),
    );
    const attached = await client.send(
      new PutClusterCapacityProvidersCommand({
        cluster: 'berth-dev',
        capacityProviders: ['FARGATE', 'berth-dev-ec2'],
        defaultCapacityProviderStrategy: [],
      }),
    );

    // Assess
    expect(attached.cluster?.capacityProviders).toEqual(['FARGATE', 'berth-dev-ec2']);
  });

  it('refuses to change the capacity providers of a cluster without berth’s tag', async () => {
    // Prepare
    await operatorCluster('someone-else', []);
    const client = ecsAs('CreateClusterRole', createClusterGrants);

    // Act
    const refusal = await refusalOf(
      client.send(
        new PutClusterCapacityProvidersCommand({
          cluster: 'someone-else',
          capacityProviders: [],
          defaultCapacityProviderStrategy: [],
        }),
      ),
    );

    // Assess
    expect(refusal.message).toContain(
      `ecs:PutClusterCapacityProviders on resource: ${arn('ecs', 'cluster/someone-else')}`,
    );
  });
});

describe('prepareService', () => {
  it('registers a tagged task definition that passes the execution role', async () => {
    // Prepare
    const client = ecsAs('PrepareServiceRole', prepareServiceGrants);

    // Act
    const registered = await client.send(new RegisterTaskDefinitionCommand(webDefinition()));

    // Assess
    expect(registered.taskDefinition?.taskDefinitionArn).toBe(arn('ecs', 'task-definition/berth-dev-web:1'));
  });

  it('refuses a task definition whose execution role it may not pass, naming iam:PassRole', async () => {
    // Prepare
    const client = ecsAs('PrepareServiceRole', without(prepareServiceGrants, 'PassTaskRoles'));

    // Act
    const refusal = await refusalOf(client.send(new RegisterTaskDefinitionCommand(webDefinition())));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(
      `not authorized to perform: iam:PassRole on resource: ${EXECUTION_ROLE}`,
    );
  });

  it('passes a task role within the allowed pattern', async () => {
    // Prepare
    const client = ecsAs('PrepareServiceRole', prepareServiceGrants);
    const taskRoleArn = 'arn:aws:iam::000000000000:role/berth-task-api';

    // Act
    const registered = await client.send(new RegisterTaskDefinitionCommand(webDefinition({ taskRoleArn })));

    // Assess
    expect(registered.taskDefinition?.taskRoleArn).toBe(taskRoleArn);
  });

  it('refuses a task role outside the allowed pattern', async () => {
    // Prepare
    const client = ecsAs('PrepareServiceRole', prepareServiceGrants);
    const taskRoleArn = 'arn:aws:iam::000000000000:role/app-task';

    // Act
    const refusal = await refusalOf(
      client.send(new RegisterTaskDefinitionCommand(webDefinition({ taskRoleArn }))),
    );

    // Assess
    expect(refusal.message).toContain(`iam:PassRole on resource: ${taskRoleArn}`);
  });

  it('refuses a task definition without berth’s tag', async () => {
    // Prepare
    const client = ecsAs('PrepareServiceRole', prepareServiceGrants);

    // Act
    const refusal = await refusalOf(
      client.send(new RegisterTaskDefinitionCommand(webDefinition({ tags: [] }))),
    );

    // Assess
    expect(refusal.message).toContain(
      `ecs:RegisterTaskDefinition on resource: ${arn('ecs', 'task-definition/berth-dev-web:1')}`,
    );
  });
});

describe('createService', () => {
  it('creates a tagged service and updates it', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const taskDefinition = await operatorTaskDefinition();
    const client = ecsAs('CreateServiceRole', createServiceGrants);

    // Act
    await client.send(new CreateServiceCommand(serviceInput('berth-dev', 'web', taskDefinition)));
    const updated = await client.send(
      new UpdateServiceCommand({ cluster: 'berth-dev', service: 'web', desiredCount: 1 }),
    );

    // Assess
    expect(updated.service?.desiredCount).toBe(1);
  });

  it('refuses a tagged service when tagging on create is not granted', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const taskDefinition = await operatorTaskDefinition();
    const client = ecsAs('CreateServiceRole', without(createServiceGrants, 'TagOnCreate'));

    // Act
    const refusal = await refusalOf(
      client.send(new CreateServiceCommand(serviceInput('berth-dev', 'web', taskDefinition))),
    );

    // Assess
    expect(refusal.message).toContain(`ecs:TagResource on resource: ${arn('ecs', 'service/berth-dev/web')}`);
  });

  it('refuses to update a service without berth’s tag', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const taskDefinition = await operatorTaskDefinition();
    await operator.send(new CreateServiceCommand(serviceInput('berth-dev', 'other', taskDefinition, [])));
    const client = ecsAs('CreateServiceRole', createServiceGrants);

    // Act
    const refusal = await refusalOf(
      client.send(new UpdateServiceCommand({ cluster: 'berth-dev', service: 'other', desiredCount: 1 })),
    );

    // Assess
    expect(refusal.message).toContain(
      `ecs:UpdateService on resource: ${arn('ecs', 'service/berth-dev/other')}`,
    );
  });
});

describe('the jobs role', () => {
  it('runs a tagged task and passes its execution role', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const taskDefinition = await operatorTaskDefinition();
    const client = ecsAs('JobsRole', jobsGrants);

    // Act
    const run = await client.send(new RunTaskCommand(runInput('berth-dev', taskDefinition)));

    // Assess
    expect(run.tasks).toHaveLength(1);
  });

  it('refuses a tagged task when tagging on RunTask is not granted', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const taskDefinition = await operatorTaskDefinition();
    const client = ecsAs('JobsRole', without(jobsGrants, 'TagOnRun'));

    // Act
    const refusal = await refusalOf(client.send(new RunTaskCommand(runInput('berth-dev', taskDefinition))));

    // Assess
    expect(refusal.message).toContain(`ecs:TagResource on resource: ${arn('ecs', 'task/berth-dev/*')}`);
  });

  it('refuses a task whose execution role it may not pass', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const taskDefinition = await operatorTaskDefinition();
    const client = ecsAs('JobsRole', without(jobsGrants, 'PassTaskRoles'));

    // Act
    const refusal = await refusalOf(client.send(new RunTaskCommand(runInput('berth-dev', taskDefinition))));

    // Assess
    expect(refusal.message).toContain(`iam:PassRole on resource: ${EXECUTION_ROLE}`);
  });

  it('refuses a task in a cluster outside the ecs:cluster condition', async () => {
    // Prepare
    await operatorCluster('other-team');
    const taskDefinition = await operatorTaskDefinition();
    const scoped = [
      allow('Run', 'ecs:RunTask', arn('ecs', 'task-definition/*'), {
        ArnLike: { 'ecs:cluster': arn('ecs', 'cluster/berth-*') },
      }),
      ...without(jobsGrants, 'Run'),
    ];
    const client = ecsAs('JobsRole', scoped);

    // Act
    const refusal = await refusalOf(client.send(new RunTaskCommand(runInput('other-team', taskDefinition))));

    // Assess
    expect(refusal.message).toContain(`ecs:RunTask on resource: ${taskDefinition}`);
  });
});

describe('teardownPass', () => {
  it('lists berth’s tasks in berth’s cluster and stops one', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const taskDefinition = await operatorTaskDefinition();
    const run = await operator.send(new RunTaskCommand(runInput('berth-dev', taskDefinition)));
    const client = ecsAs('TeardownRole', teardownGrants);

    // Act
    const listed = await client.send(new ListTasksCommand({ cluster: 'berth-dev' }));
    await client.send(new StopTaskCommand({ cluster: 'berth-dev', task: listed.taskArns?.[0] ?? '' }));

    // Assess
    expect(listed.taskArns).toEqual([run.tasks?.[0]?.taskArn]);
  });

  it('refuses to stop a task without berth’s tag', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    const taskDefinition = await operatorTaskDefinition();
    const run = await operator.send(new RunTaskCommand(runInput('berth-dev', taskDefinition, [])));
    const taskArn = run.tasks?.[0]?.taskArn ?? '';
    const client = ecsAs('TeardownRole', teardownGrants);

    // Act
    const refusal = await refusalOf(
      client.send(new StopTaskCommand({ cluster: 'berth-dev', task: taskArn })),
    );

    // Assess
    expect(refusal.message).toContain(`ecs:StopTask on resource: ${taskArn}`);
  });

  it('lists task families on *, and deletes berth’s revisions but refuses one without berth’s tag', async () => {
    // Prepare
    const berths = await operatorTaskDefinition();
    const registered = await operator.send(
      new RegisterTaskDefinitionCommand(webDefinition({ family: 'berth-dev-other', tags: [] })),
    );
    const others = registered.taskDefinition?.taskDefinitionArn ?? '';
    const client = ecsAs('TeardownRole', taskDefinitionTeardownGrants);
    const unlisted = ecsAs('TeardownWithoutListsRole', without(taskDefinitionTeardownGrants, 'List'));

    // Act
    const families = await client.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'berth-dev-' }));
    for (const arnOf of [berths, others]) {
      await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arnOf }));
    }
    const deleted = await client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [berths] }));
    const refusal = await refusalOf(
      client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [others] })),
    );
    const listingRefusal = await refusalOf(unlisted.send(new ListTaskDefinitionFamiliesCommand({})));

    // Assess
    expect(families.families).toEqual(['berth-dev-other', 'berth-dev-web']);
    expect(deleted.failures).toEqual([]);
    expect(refusal.message).toContain(`ecs:DeleteTaskDefinitions on resource: ${others}`);
    expect(listingRefusal.message).toContain('ecs:ListTaskDefinitionFamilies on resource: *');
  });

  it('deletes berth’s cluster and refuses one without berth’s tag', async () => {
    // Prepare
    await operatorCluster('berth-dev');
    await operatorCluster('someone-else', []);
    const client = ecsAs('TeardownRole', teardownGrants);

    // Act
    const deleted = await client.send(new DeleteClusterCommand({ cluster: 'berth-dev' }));
    const refusal = await refusalOf(client.send(new DeleteClusterCommand({ cluster: 'someone-else' })));
    const left = await operator.send(new DescribeClustersCommand({ clusters: ['someone-else'] }));

    // Assess
    expect(deleted.cluster?.status).toBe('INACTIVE');
    expect(refusal.message).toContain(`ecs:DeleteCluster on resource: ${arn('ecs', 'cluster/someone-else')}`);
    expect(left.clusters?.[0]?.status).toBe('ACTIVE');
  });
});
