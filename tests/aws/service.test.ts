/** shared/aws/service.ts against the simulated ECS, CloudWatch Logs and ELBv2. */
import { DescribeLogGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ensureCluster, ensureEc2Capacity, teardownClusterPass } from '../../shared/aws/cluster';
import {
  type EnsureServiceResult,
  ensureLogGroup,
  ensureService,
  registerTaskDefinition,
  serviceStatus,
  teardownServicesPass,
  updateService,
} from '../../shared/aws/service';
import { ec2CapacityProblems } from '../../shared/domain/capacity';
import { type EnvironmentRef, names, TAG_ENVIRONMENT } from '../../shared/domain/naming';
import type { EnvironmentRequest, EnvironmentSpec, ServiceSpec } from '../../shared/domain/spec';
import {
  createTargetGroup,
  EXECUTION_ROLE_ARN,
  environment,
  eventually,
  INSTANCE_PROFILE_ARN,
  parseSpec,
  passUntilDone,
  REGION,
  type SimulatedAws,
  startSimulatedAws,
  TIME_SCALE,
  tagsOf,
} from './ecs-fixture';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:shop/db-AbCdEf';

let aws: SimulatedAws;

beforeAll(async () => {
  aws = await startSimulatedAws(9);
});

afterAll(async () => {
  await aws.close();
});

function firstService(spec: EnvironmentSpec): ServiceSpec {
  const service = spec.services[0];
  if (!service) throw new Error('the spec has no service');
  return service;
}

interface Deployed {
  env: EnvironmentRef;
  spec: EnvironmentSpec;
  service: ServiceSpec;
  clusterName: string;
  logGroup: string;
  taskDefinitionArn: string;
  targetGroupArn: string;
  result: EnsureServiceResult;
}

/** Cluster, capacity, log group, task definition, target group and service of a one-service environment. */
async function deploy(envId: string, overrides: Partial<EnvironmentRequest> = {}): Promise<Deployed> {
  const env = environment(envId);
  const spec = parseSpec(overrides);
  const service = firstService(spec);
  const tags = tagsOf(env);
  const { clusterName } = await ensureCluster(env, spec.cluster, tags, aws.clients);
  if (spec.cluster.ec2) {
    await ensureEc2Capacity(
      env,
      spec.cluster.ec2,
      {
        clusterName,
        subnetIds: aws.network.subnetIds,
        securityGroupId: aws.network.securityGroupId,
        instanceProfileArn: INSTANCE_PROFILE_ARN,
        tags,
      },
      aws.clients,
    );
  }
  const logGroup = await ensureLogGroup(env, service, tags, aws.clients);
  const taskDefinitionArn = await registerTaskDefinition(
    env,
    service,
    { capacity: spec.cluster.capacity, executionRoleArn: EXECUTION_ROLE_ARN, logGroup, region: REGION, tags },
    aws.clients,
  );
  const targetGroupArn = await createTargetGroup(aws, names.targetGroup(env, service.name), service.port);
  const result = await ensureService(
    env,
    service,
    {
      clusterName,
      taskDefinitionArn,
      subnetIds: aws.network.subnetIds,
      securityGroupId: aws.network.securityGroupId,
      targetGroupArn,
      capacity: spec.cluster.capacity,
      tags,
    },
    aws.clients,
  );
  return { env, spec, service, clusterName, logGroup, taskDefinitionArn, targetGroupArn, result };
}

async function describeService(clusterName: string, name: string) {
  const { services = [] } = await aws.clients.ecs.send(
    new DescribeServicesCommand({ cluster: clusterName, services: [name], include: ['TAGS'] }),
  );
  return services[0];
}

describe('ensureLogGroup', () => {
  it('creates the tagged log group with the retention of the spec, and run twice creates no other', async () => {
    const env = environment('env-01J0000000000000000000LOG1');
    const service = firstService(
      parseSpec({ services: [{ name: 'api', image: 'nginx:1.27', logging: { retentionDays: 14 } }] }),
    );

    const first = await ensureLogGroup(env, service, tagsOf(env), aws.clients);
    const second = await ensureLogGroup(env, service, tagsOf(env), aws.clients);

    expect(first).toBe('/berth/payments/shop/api');
    expect(second).toBe(first);
    const { logGroups = [] } = await aws.clients.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: first }),
    );
    expect(logGroups).toHaveLength(1);
    expect(logGroups[0]?.retentionInDays).toBe(14);
    const { tags } = await aws.clients.logs.send(
      new ListTagsForResourceCommand({ resourceArn: logGroups[0]?.logGroupArn ?? '' }),
    );
    expect(tags?.[TAG_ENVIRONMENT]).toBe(env.id);
  });
});

describe('registerTaskDefinition', () => {
  const env = environment('env-01J00000000000000000000TD1');
  const options = {
    capacity: 'FARGATE' as const,
    executionRoleArn: EXECUTION_ROLE_ARN,
    logGroup: '/berth/payments/shop/api',
    region: REGION,
    tags: tagsOf(env),
  };
  const service = firstService(
    parseSpec({
      services: [
        {
          name: 'api',
          image: 'nginx:1.27',
          cpu: 512,
          memory: 1024,
          port: 8080,
          environment: { ZED: 'last', ALPHA: 'first' },
          secrets: { DB_PASSWORD: SECRET_ARN },
        },
      ],
    }),
  );

  it('registers an awsvpc Fargate task with one essential container logging to its group', async () => {
    const arn = await registerTaskDefinition(env, service, options, aws.clients);

    const { taskDefinition, tags } = await aws.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
    );
    expect(taskDefinition).toMatchObject({
      family: names.taskFamily(env, 'api'),
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      executionRoleArn: EXECUTION_ROLE_ARN,
    });
    expect(taskDefinition?.containerDefinitions).toHaveLength(1);
    expect(taskDefinition?.containerDefinitions?.[0]).toMatchObject({
      name: 'api',
      image: 'nginx:1.27',
      essential: true,
      portMappings: [{ containerPort: 8080 }],
      environment: [
        { name: 'ALPHA', value: 'first' },
        { name: 'ZED', value: 'last' },
      ],
      secrets: [{ name: 'DB_PASSWORD', valueFrom: SECRET_ARN }],
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/berth/payments/shop/api',
          'awslogs-region': REGION,
          'awslogs-stream-prefix': 'api',
        },
      },
    });
    expect(tags).toEqual(expect.arrayContaining([{ key: TAG_ENVIRONMENT, value: env.id }]));
  });

  it('run again with the same spec, reuses the latest revision', async () => {
    const first = await registerTaskDefinition(env, service, options, aws.clients);
    const second = await registerTaskDefinition(env, service, options, aws.clients);

    expect(second).toBe(first);
  });

  it('registers a new revision when the image changes', async () => {
    const first = await registerTaskDefinition(env, service, options, aws.clients);
    const second = await registerTaskDefinition(
      env,
      { ...service, image: 'nginx:1.28' },
      options,
      aws.clients,
    );

    expect(second).not.toBe(first);
    expect(second.startsWith(first.replace(/:\d+$/, ':'))).toBe(true);
  });

  it('asks for EC2 compatibility on EC2 capacity', async () => {
    const arn = await registerTaskDefinition(env, service, { ...options, capacity: 'EC2' }, aws.clients);

    const { taskDefinition } = await aws.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: arn }),
    );
    expect(taskDefinition?.requiresCompatibilities).toEqual(['EC2']);
  });
});

describe('ensureService on Fargate', () => {
  let deployed: Deployed;

  beforeAll(async () => {
    deployed = await deploy('env-01J0000000000000000000SV1', {
      services: [
        { name: 'api', image: 'nginx:1.27', desiredCount: 2, healthCheck: { gracePeriodSeconds: 45 } },
      ],
    });
  });

  it('runs in the app subnets without public IPs, behind the target group, with circuit breaker and tags', async () => {
    const service = await describeService(deployed.clusterName, 'api');

    expect(deployed.result).toMatchObject({ state: 'ready', created: true });
    expect(service).toMatchObject({
      status: 'ACTIVE',
      desiredCount: 2,
      taskDefinition: deployed.taskDefinitionArn,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: aws.network.subnetIds,
          securityGroups: [aws.network.securityGroupId],
          assignPublicIp: 'DISABLED',
        },
      },
      loadBalancers: [{ targetGroupArn: deployed.targetGroupArn, containerName: 'api', containerPort: 80 }],
      healthCheckGracePeriodSeconds: 45,
      deploymentConfiguration: {
        minimumHealthyPercent: 100,
        maximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
      },
      propagateTags: 'SERVICE',
      enableECSManagedTags: true,
    });
    expect(service?.launchType).toBeUndefined();
    expect(service?.tags).toEqual(expect.arrayContaining([{ key: TAG_ENVIRONMENT, value: deployed.env.id }]));
  });

  it('run twice, answers the existing service and creates no other', async () => {
    const again = await ensureService(
      deployed.env,
      deployed.service,
      {
        clusterName: deployed.clusterName,
        taskDefinitionArn: deployed.taskDefinitionArn,
        subnetIds: aws.network.subnetIds,
        securityGroupId: aws.network.securityGroupId,
        targetGroupArn: deployed.targetGroupArn,
        capacity: 'FARGATE',
        tags: tagsOf(deployed.env),
      },
      aws.clients,
    );

    expect(again).toEqual({ state: 'ready', serviceArn: deployed.result.serviceArn, created: false });
    const { serviceArns = [] } = await aws.clients.ecs.send(
      new ListServicesCommand({ cluster: deployed.clusterName }),
    );
    expect(serviceArns).toEqual([deployed.result.serviceArn]);
  });

  it('turns stable once the tasks run and their targets are healthy', async () => {
    const [status] = await eventually(async () => {
      const statuses = await serviceStatus(deployed.clusterName, ['api'], aws.clients);
      return statuses.every((s) => s.stable) ? statuses : undefined;
    });

    expect(status).toMatchObject({
      name: 'api',
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 2,
      rolloutState: 'COMPLETED',
      taskDefinition: deployed.taskDefinitionArn,
      stable: true,
    });
    const { TargetHealthDescriptions = [] } = await aws.clients.elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: deployed.targetGroupArn }),
    );
    expect(TargetHealthDescriptions.map((target) => target.TargetHealth?.State)).toEqual([
      'healthy',
      'healthy',
    ]);
  });

  it('reports a service it does not know as MISSING and not stable', async () => {
    const statuses = await serviceStatus(deployed.clusterName, ['api', 'nope'], aws.clients);

    expect(statuses.map((s) => s.name)).toEqual(['api', 'nope']);
    expect(statuses[1]).toMatchObject({ status: 'MISSING', stable: false });
  });
});

describe('serviceStatus', () => {
  it('reports the rollout FAILED when the tasks fail their health checks (image "unhealthy")', async () => {
    const deployed = await deploy('env-01J0000000000000000000SV2', {
      services: [{ name: 'api', image: 'registry.example.com/shop/unhealthy:1', desiredCount: 1 }],
    });

    const [status] = await eventually(async () => {
      const statuses = await serviceStatus(deployed.clusterName, ['api'], aws.clients);
      return statuses[0]?.rolloutState === 'FAILED' ? statuses : undefined;
    });

    expect(status?.stable).toBe(false);
    expect(status?.rolloutStateReason).toEqual(expect.any(String));
  });

  it('asks DescribeServices at most 10 services at a time', async () => {
    const env = environment('env-01J0000000000000000000SV3');
    const { clusterName } = await ensureCluster(env, parseSpec().cluster, tagsOf(env), aws.clients);
    const many = Array.from({ length: 23 }, (_, i) => `svc-${i}`);

    const statuses = await serviceStatus(clusterName, many, aws.clients);

    expect(statuses).toHaveLength(23);
    expect(statuses.every((s) => s.status === 'MISSING')).toBe(true);
  });
});

describe('ensureService on EC2', () => {
  it('uses the EC2 capacity provider and the placement of the preset', async () => {
    const deployed = await deploy('env-01J0000000000000000000SV4', {
      cluster: {
        capacity: 'EC2',
        ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 3, desiredCapacity: 2 },
      },
      services: [{ name: 'api', image: 'nginx:1.27', placement: { preset: 'az-balanced-spread' } }],
    });

    const service = await describeService(deployed.clusterName, 'api');

    expect(service?.capacityProviderStrategy).toEqual([
      { capacityProvider: `berth-${deployed.clusterName}`, weight: 1, base: 0 },
    ]);
    expect(service?.placementStrategy).toEqual([
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
      { type: 'spread', field: 'instanceId' },
    ]);
    expect(service?.placementConstraints).toEqual([]);
  });
});

describe('EC2 capacity and ENIs', () => {
  it('places awsvpc tasks up to two per t3.medium and leaves the one past it unplaced with RESOURCE:ENI, as berth predicts', async () => {
    // Prepare: one t3.medium (3 ENIs: 2 awsvpc tasks); maximumPercent 100 so berth accepts 2 tasks.
    const cluster = {
      capacity: 'EC2' as const,
      ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 1, desiredCapacity: 1 },
    };
    const service = (desiredCount: number) => ({
      name: 'api',
      image: 'nginx:1.27',
      desiredCount,
      deployment: { maximumPercent: 100, minimumHealthyPercent: 50 },
    });
    // 1 AWS second = 50 ms until the tasks are placed (the instance boots in 40-90 s, a task runs 30 s
    // or more later), then the clock is held still, so what is counted is placement alone.
    aws.running.sim.clock.setScale(0.05);
    try {
      const deployed = await deploy('env-01J0000000000000000000SV9', { cluster, services: [service(2)] });
      const placed = await eventually(async () => {
        const { taskArns = [] } = await aws.clients.ecs.send(
          new ListTasksCommand({ cluster: deployed.clusterName, serviceName: 'api' }),
        );
        if (taskArns.length < 2) return undefined;
        const { tasks = [] } = await aws.clients.ecs.send(
          new DescribeTasksCommand({ cluster: deployed.clusterName, tasks: taskArns }),
        );
        return tasks;
      });
      aws.running.sim.clock.setScale(1);

      // Act: one more task than the instance has ENIs for.
      await aws.clients.ecs.send(
        new UpdateServiceCommand({ cluster: deployed.clusterName, service: 'api', desiredCount: 3 }),
      );
      const starved = await describeService(deployed.clusterName, 'api');

      // Assess
      expect(placed).toHaveLength(2);
      expect(new Set(placed.map((task) => task.containerInstanceArn)).size).toBe(1);
      expect(starved?.runningCount ?? 0).toBe(0);
      expect(starved?.pendingCount).toBe(2);
      expect(starved?.events?.[0]?.message).toMatch(
        /^\(service api\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [0-9a-f]+\) encountered error "RESOURCE:ENI"/,
      );
      expect(ec2CapacityProblems(parseSpec({ cluster, services: [service(2)] }))).toEqual([]);
      expect(ec2CapacityProblems(parseSpec({ cluster, services: [service(3)] })).map((p) => p.path)).toEqual([
        ['cluster', 'ec2', 'maxSize'],
      ]);
    } finally {
      aws.running.sim.clock.setScale(TIME_SCALE);
    }
  });
});

describe('updateService', () => {
  it('rolls the service to a new revision until it is stable on it', async () => {
    const deployed = await deploy('env-01J0000000000000000000SV7');
    const next = await registerTaskDefinition(
      deployed.env,
      { ...deployed.service, image: 'nginx:1.28' },
      {
        capacity: 'FARGATE',
        executionRoleArn: EXECUTION_ROLE_ARN,
        logGroup: deployed.logGroup,
        region: REGION,
        tags: tagsOf(deployed.env),
      },
      aws.clients,
    );

    await updateService(deployed.clusterName, deployed.service, next, deployed.spec, aws.clients);

    const [status] = await eventually(async () => {
      const statuses = await serviceStatus(deployed.clusterName, ['api'], aws.clients);
      return statuses[0]?.stable && statuses[0].taskDefinition === next ? statuses : undefined;
    });
    expect(status).toMatchObject({ rolloutState: 'COMPLETED', runningCount: 1 });
  });
});

describe('ensureService after a deletion', () => {
  it('answers draining while a deleted service of that name still stops its tasks', async () => {
    const deployed = await deploy('env-01J0000000000000000000SV8');
    // Its tasks stop 15–45 AWS seconds after the delete: at the suite's scale that is 15–45 ms of wall
    // time, which a busy machine can spend before the next call. Real time keeps the window open.
    aws.running.sim.clock.setScale(1);
    let again: Awaited<ReturnType<typeof ensureService>>;
    try {
      await aws.clients.ecs.send(
        new DeleteServiceCommand({ cluster: deployed.clusterName, service: 'api', force: true }),
      );

      again = await ensureService(
        deployed.env,
        deployed.service,
        {
          clusterName: deployed.clusterName,
          taskDefinitionArn: deployed.taskDefinitionArn,
          subnetIds: aws.network.subnetIds,
          securityGroupId: aws.network.securityGroupId,
          targetGroupArn: deployed.targetGroupArn,
          capacity: 'FARGATE',
          tags: tagsOf(deployed.env),
        },
        aws.clients,
      );
    } finally {
      aws.running.sim.clock.setScale(TIME_SCALE);
    }

    expect(again).toEqual({ state: 'draining', serviceArn: deployed.result.serviceArn });
  });
});

describe('teardownServicesPass', () => {
  it('deletes the services, waits out DRAINING, deletes the log groups, and the cluster teardown leaves nothing tagged', async () => {
    const deployed = await deploy('env-01J0000000000000000000SV5', {
      cluster: {
        capacity: 'EC2',
        ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 3, desiredCapacity: 1 },
      },
      services: [{ name: 'api', image: 'nginx:1.27', desiredCount: 2 }],
    });
    const { env, clusterName } = deployed;

    const servicePasses = await passUntilDone(() => teardownServicesPass(env, clusterName, aws.clients));
    const serviceAfter = await describeService(clusterName, 'api');
    await passUntilDone(() => teardownClusterPass(env.id, clusterName, aws.clients));

    expect(servicePasses[0]?.blocked.map((blocker) => blocker.code)).toEqual(['ServiceDraining']);
    expect(serviceAfter?.status).toBe('INACTIVE');
    const tagged = aws.tagged(env.id);
    for (const type of ['log-group', 'autoscaling-group', 'launch-template', 'ecs-capacity-provider']) {
      expect([type, tagged[type] ?? []]).toEqual([type, []]);
    }
    // ECS answers INACTIVE clusters, services and task definitions for a while, as AWS does.
    for (const type of ['ecs-cluster', 'ecs-service', 'ecs-task-definition']) {
      const live = (tagged[type] ?? []).filter((resource) => resource.status !== 'INACTIVE');
      expect([type, live]).toEqual([type, []]);
    }
  });

  it('is done at once for an environment without services or log groups', async () => {
    const env = environment('env-01J0000000000000000000SV6');
    const { clusterName } = await ensureCluster(env, parseSpec().cluster, tagsOf(env), aws.clients);

    await expect(teardownServicesPass(env, clusterName, aws.clients)).resolves.toEqual({
      done: true,
      blocked: [],
    });
  });
});
