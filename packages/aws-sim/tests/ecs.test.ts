import { CreateSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DeleteClusterCommand,
  DeleteServiceCommand,
  type DeleteServiceCommandOutput,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  type ListServicesCommandOutput,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ec2 } from '../src/services/ec2';
import { ecs } from '../src/services/ecs';
import { elbv2 } from '../src/services/elbv2';
import { awsCli } from './aws-cli';
import { createNetwork, eventually, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices, TIME_SCALE } from './simulated-services';

let services: SimulatedServices;
let client: ECSClient;
let elb: ElasticLoadBalancingV2Client;
let network: TestNetwork;

beforeAll(async () => {
  services = await startServices([ec2, elbv2, ecs]);
  client = new ECSClient(services.clientConfig);
  elb = new ElasticLoadBalancingV2Client(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  elb.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  network = await createNetwork(services);
});

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected an error');
    },
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => error,
  );

async function createCluster(name = 'berth-dev') {
  await client.send(
    new CreateClusterCommand({
      clusterName: name,
      settings: [{ name: 'containerInsights', value: 'enabled' }],
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      tags: [{ key: 'berth:environment', value: 'dev' }],
    }),
  );
}

async function registerWeb(image = 'public.ecr.aws/nginx/nginx:latest', port = 8080) {
  const registered = await client.send(
    new RegisterTaskDefinitionCommand({
      family: 'berth-dev-web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn: 'arn:aws:iam::000000000000:role/berth-task-execution',
      containerDefinitions: [
        {
          name: 'web',
          image,
          essential: true,
          portMappings: [{ containerPort: port }],
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/berth/dev/web' } },
        },
      ],
    }),
  );
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new Error('no task definition');
  return arn;
}

/** An ALB with a listener forwarding to an ip target group (5 s checks, 2 to pass, drain delay given). */
async function createTargetGroupBehindAlb(deregistrationDelay = 5) {
  const lbArn = (
    await elb.send(
      new CreateLoadBalancerCommand({
        Name: 'berth-dev-alb',
        Subnets: network.subnetIds,
        SecurityGroups: [network.securityGroupId],
      }),
    )
  ).LoadBalancers?.[0]?.LoadBalancerArn;
  const tg = await elb.send(
    new CreateTargetGroupCommand({
      Name: 'berth-dev-web',
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: network.vpcId,
      TargetType: 'ip',
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 2,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
    }),
  );
  const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn;
  if (!lbArn || !tgArn) throw new Error('no load balancer');
  await elb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: tgArn,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(deregistrationDelay) }],
    }),
  );
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
    }),
  );
  return tgArn;
}

function serviceInput(taskDefinition: string, targetGroupArn?: string): CreateServiceCommandInput {
  return {
    cluster: 'berth-dev',
    serviceName: 'web',
    taskDefinition,
    desiredCount: 2,
    launchType: 'FARGATE',
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: network.subnetIds,
        securityGroups: [network.securityGroupId],
        assignPublicIp: 'DISABLED',
      },
    },
    ...(targetGroupArn
      ? {
          loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 8080 }],
          healthCheckGracePeriodSeconds: 10,
        }
      : {}),
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    propagateTags: 'SERVICE',
    tags: [{ key: 'berth:environment', value: 'dev' }],
  };
}

async function describeWeb() {
  const described = await client.send(
    new DescribeServicesCommand({ cluster: 'berth-dev', services: ['web'] }),
  );
  const service = described.services?.[0];
  if (!service) throw new Error('service missing');
  return service;
}

async function steady(timeoutMs?: number) {
  return eventually(async () => {
    const service = await describeWeb();
    const [only, ...others] = service.deployments ?? [];
    return others.length === 0 &&
      only?.rolloutState === 'COMPLETED' &&
      service.runningCount === service.desiredCount
      ? service
      : undefined;
  }, timeoutMs);
}

describe('clusters', () => {
  it('creates a cluster with settings, capacity providers and tags, idempotently', async () => {
    await createCluster();
    await createCluster();

    const described = await client.send(
      new DescribeClustersCommand({ clusters: ['berth-dev', 'missing'], include: ['TAGS', 'SETTINGS'] }),
    );

    expect(described.clusters).toHaveLength(1);
    expect(described.clusters?.[0]).toMatchObject({
      clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-dev',
      clusterName: 'berth-dev',
      status: 'ACTIVE',
      settings: [{ name: 'containerInsights', value: 'enabled' }],
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
      tags: [{ key: 'berth:environment', value: 'dev' }],
      registeredContainerInstancesCount: 0,
      activeServicesCount: 0,
    });
    expect(described.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/missing', reason: 'MISSING' },
    ]);
  });

  it('deletes an empty cluster, which then reads INACTIVE, and answers ClusterNotFoundException afterwards', async () => {
    await createCluster();

    const deleted = await client.send(new DeleteClusterCommand({ cluster: 'berth-dev' }));
    const described = await client.send(new DescribeClustersCommand({ clusters: ['berth-dev'] }));
    const gone = await errorOf(client.send(new ListServicesCommand({ cluster: 'berth-dev' })));

    expect(deleted.cluster?.status).toBe('INACTIVE');
    expect(described.clusters?.[0]?.status).toBe('INACTIVE');
    expect(gone.name).toBe('ClusterNotFoundException');
  });

  it('leaves an INACTIVE cluster out of the inventory unless all records are asked for', async () => {
    await createCluster();
    await client.send(new DeleteClusterCommand({ cluster: 'berth-dev' }));

    const live = await (await fetch(`${services.running.url}/_local/resources?type=ecs-cluster`)).json();
    const all = await (
      await fetch(`${services.running.url}/_local/resources?type=ecs-cluster&all=true`)
    ).json();

    expect(live).toEqual({ resources: {} });
    expect(Object.values((all as { resources: Record<string, unknown[]> }).resources).flat()).toHaveLength(1);
  });

  it('lists cluster ARNs a page at a time with maxResults and nextToken', async () => {
    for (const name of ['berth-a', 'berth-b', 'berth-c']) await createCluster(name);

    const first = await client.send(new ListClustersCommand({ maxResults: 2 }));
    const second = await client.send(new ListClustersCommand({ maxResults: 2, nextToken: first.nextToken }));
    const tooMany = await errorOf(client.send(new ListClustersCommand({ maxResults: 101 })));

    expect([...(first.clusterArns ?? []), ...(second.clusterArns ?? [])]).toEqual(
      ['berth-a', 'berth-b', 'berth-c'].map((name) => `arn:aws:ecs:us-east-1:000000000000:cluster/${name}`),
    );
    expect(first.clusterArns).toHaveLength(2);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.nextToken).toBeUndefined();
    expect(tooMany.name).toBe('InvalidParameterException');
  });

  it('keeps listing a deleted cluster while it reads INACTIVE, as AWS does', async () => {
    await createCluster('berth-live');
    await createCluster('berth-gone');
    await client.send(new DeleteClusterCommand({ cluster: 'berth-gone' }));

    const { clusterArns } = await client.send(new ListClustersCommand({}));

    expect(clusterArns).toEqual([
      'arn:aws:ecs:us-east-1:000000000000:cluster/berth-live',
      'arn:aws:ecs:us-east-1:000000000000:cluster/berth-gone',
    ]);
  });

  it('tags and untags a cluster', async () => {
    await createCluster();
    const resourceArn = 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-dev';

    await client.send(
      new TagResourceCommand({ resourceArn, tags: [{ key: 'berth:team', value: 'payments' }] }),
    );
    await client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['berth:environment'] }));
    const tags = await client.send(new ListTagsForResourceCommand({ resourceArn }));
    const missing = await errorOf(
      client.send(new ListTagsForResourceCommand({ resourceArn: `${resourceArn}-nope` })),
    );

    expect(tags.tags).toEqual([{ key: 'berth:team', value: 'payments' }]);
    expect(missing.name).toBe('ResourceNotFoundException');
  });
});

describe('task definitions', () => {
  it('registers revisions as family:revision and lists, describes and deregisters them', async () => {
    const first = await registerWeb();
    const second = await registerWeb('public.ecr.aws/nginx/nginx:1.27');

    const latest = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'berth-dev-web' }));
    await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'berth-dev-web:1' }));
    const active = await client.send(new ListTaskDefinitionsCommand({ familyPrefix: 'berth-dev-web' }));

    expect(first).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/berth-dev-web:1');
    expect(second).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/berth-dev-web:2');
    expect(latest.taskDefinition).toMatchObject({
      revision: 2,
      status: 'ACTIVE',
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
      compatibilities: ['EC2', 'FARGATE'],
      containerDefinitions: [
        { name: 'web', portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }] },
      ],
    });
    expect(active.taskDefinitionArns).toEqual([second]);
  });

  it('deletes only INACTIVE revisions, reporting ACTIVE, unknown and revision-less ones as failures', async () => {
    await createCluster();
    const first = await registerWeb();
    // A service still uses the first revision, so it stays DELETE_IN_PROGRESS.
    await client.send(new CreateServiceCommand(serviceInput(first)));
    const second = await registerWeb();
    await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: first }));

    const result = await client.send(
      new DeleteTaskDefinitionsCommand({
        taskDefinitions: [first, 'berth-dev-web:2', 'berth-dev-web:9', 'berth-dev-web'],
      }),
    );
    const described = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: first }));
    const inProgress = await client.send(new ListTaskDefinitionsCommand({ status: 'DELETE_IN_PROGRESS' }));

    expect(result.taskDefinitions).toHaveLength(1);
    expect(result.taskDefinitions?.[0]).toMatchObject({
      taskDefinitionArn: first,
      status: 'DELETE_IN_PROGRESS',
    });
    expect(result.taskDefinitions?.[0]?.deleteRequestedAt).toBeInstanceOf(Date);
    expect(result.failures).toEqual([
      {
        arn: second,
        reason:
          'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
      },
      {
        arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/berth-dev-web:9',
        reason:
          'The specified task definition does not exist. Specify a valid account, family, revision and try again.',
      },
      {
        arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/berth-dev-web',
        reason:
          'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.',
      },
    ]);
    expect(described.taskDefinition?.status).toBe('DELETE_IN_PROGRESS');
    expect(inProgress.taskDefinitionArns).toEqual([first]);
  });

  it('lists by the exact family in ListTaskDefinitions and by prefix only in ListTaskDefinitionFamilies', async () => {
    // Prepare
    const web = await registerWeb();
    const worker = await client.send(
      new RegisterTaskDefinitionCommand({
        family: 'berth-dev-web-worker',
        containerDefinitions: [{ name: 'worker', image: 'nginx', memory: 128 }],
      }),
    );
    await client.send(
      new DeregisterTaskDefinitionCommand({ taskDefinition: worker.taskDefinition?.taskDefinitionArn }),
    );

    // Act
    const byPrefix = await client.send(new ListTaskDefinitionsCommand({ familyPrefix: 'berth-dev' }));
    const byFamily = await client.send(new ListTaskDefinitionsCommand({ familyPrefix: 'berth-dev-web' }));
    const families = await client.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'berth-dev' }));
    const inactiveFamilies = await client.send(
      new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'berth-dev', status: 'INACTIVE' }),
    );

    // Assess
    expect(byPrefix.taskDefinitionArns).toEqual([]);
    expect(byFamily.taskDefinitionArns).toEqual([web]);
    expect(families.families).toEqual(['berth-dev-web', 'berth-dev-web-worker']);
    expect(inactiveFamilies.families).toEqual(['berth-dev-web-worker']);
  });

  it('forgets a revision submitted for deletion once nothing uses it, and keeps counting revisions', async () => {
    // Prepare
    const first = await registerWeb();
    await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: first }));

    // Act
    await client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [first] }));
    const described = await errorOf(
      client.send(new DescribeTaskDefinitionCommand({ taskDefinition: first })),
    );
    const families = await client.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'berth-dev' }));
    const inProgress = await client.send(new ListTaskDefinitionsCommand({ status: 'DELETE_IN_PROGRESS' }));
    const next = await registerWeb();

    // Assess
    expect(described.name).toBe('ClientException');
    expect(described.message).toBe('Unable to describe task definition.');
    expect(families.families).toEqual([]);
    expect(inProgress.taskDefinitionArns).toEqual([]);
    expect(next).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/berth-dev-web:2');
  });

  it('refuses a task definition larger than 64 KiB with ClientException, and registers one just under', async () => {
    // Prepare
    const withEnvironment = (bytes: number) =>
      new RegisterTaskDefinitionCommand({
        family: 'berth-dev-big',
        containerDefinitions: [
          {
            name: 'app',
            image: 'nginx',
            memory: 128,
            environment: [{ name: 'PADDING', value: 'x'.repeat(bytes) }],
          },
        ],
      });

    // Act
    const refused = await errorOf(client.send(withEnvironment(65_600)));
    const accepted = await client.send(withEnvironment(65_000));

    // Assess
    expect(refused.name).toBe('ClientException');
    expect(refused.message).toMatch(/^Actual length: '\d+'\. Max allowed length is '65536' bytes\.$/);
    expect(accepted.taskDefinition?.revision).toBe(1);
  });

  it('matches a family prefix and takes any size again with /_local/strictness switched off', async () => {
    // Prepare
    const web = await registerWeb();
    const strictness = (body: Record<string, boolean>) =>
      fetch(`${services.running.url}/_local/strictness`, { method: 'PUT', body: JSON.stringify(body) });
    const refused = await strictness({ exactTaskFamily: 'no' as unknown as boolean });

    // Act
    const relaxed = await (await strictness({ exactTaskFamily: false, taskDefinitionSize: false })).json();
    const byPrefix = await client.send(new ListTaskDefinitionsCommand({ familyPrefix: 'berth-dev' }));
    const big = await client.send(
      new RegisterTaskDefinitionCommand({
        family: 'berth-dev-big',
        containerDefinitions: [
          {
            name: 'app',
            image: 'nginx',
            memory: 128,
            environment: [{ name: 'P', value: 'x'.repeat(70_000) }],
          },
        ],
      }),
    );
    await strictness({ exactTaskFamily: true, taskDefinitionSize: true });

    // Assess
    expect(refused.status).toBe(400);
    expect(relaxed).toEqual({ exactTaskFamily: false, taskDefinitionSize: false, amiArchitecture: true });
    expect(byPrefix.taskDefinitionArns).toEqual([web]);
    expect(big.taskDefinition?.revision).toBe(1);
  });

  it('refuses to run a task from a revision submitted for deletion', async () => {
    await createCluster();
    const arn = await registerWeb();
    await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
    await client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [arn] }));

    const refused = await errorOf(
      client.send(
        new RunTaskCommand({
          cluster: 'berth-dev',
          taskDefinition: arn,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: network.subnetIds } },
        }),
      ),
    );

    expect(refused.name).toBe('InvalidParameterException');
  });

  it.each([
    [{ cpu: '256', memory: '4096' }, 'No Fargate configuration exists for given values'],
    [
      { cpu: '256', memory: '512', networkMode: 'bridge' as const },
      "Fargate only supports network mode 'awsvpc'",
    ],
  ])('refuses an invalid Fargate task definition %j with ClientException', async (override, message) => {
    const failure = await errorOf(
      client.send(
        new RegisterTaskDefinitionCommand({
          family: 'bad',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          containerDefinitions: [{ name: 'web', image: 'nginx' }],
          ...override,
        }),
      ),
    );

    expect(failure.name).toBe('ClientException');
    expect(failure.message).toContain(message);
  });
});

describe('services', () => {
  it('reaches steady state only once its tasks are healthy in the target group', async () => {
    await createCluster();
    const taskDefinition = await registerWeb();
    const targetGroupArn = await createTargetGroupBehindAlb();

    const created = await client.send(new CreateServiceCommand(serviceInput(taskDefinition, targetGroupArn)));
    expect(created.service).toMatchObject({
      serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/berth-dev/web',
      status: 'ACTIVE',
      desiredCount: 2,
      launchType: 'FARGATE',
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', desiredCount: 2 }],
    });
    expect(created.service?.deployments?.[0]?.id).toMatch(/^ecs-svc\/\d{19}$/);

    const service = await steady();
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const tasks = await client.send(new ListTasksCommand({ cluster: 'berth-dev', serviceName: 'web' }));
    const described = await client.send(
      new DescribeTasksCommand({ cluster: 'berth-dev', tasks: tasks.taskArns ?? [], include: ['TAGS'] }),
    );

    expect(service.runningCount).toBe(2);
    expect(service.events?.[0]?.message).toBe('(service web) has reached a steady state.');
    expect(health.TargetHealthDescriptions?.map((d) => d.TargetHealth?.State)).toEqual([
      'healthy',
      'healthy',
    ]);
    expect(described.tasks?.map((task) => task.lastStatus)).toEqual(['RUNNING', 'RUNNING']);
    const subnets = described.tasks?.map(
      (task) => task.attachments?.[0]?.details?.find((d) => d.name === 'subnetId')?.value,
    );
    expect(subnets?.sort()).toEqual([...network.subnetIds].sort());
    expect(described.tasks?.[0]?.tags).toEqual([{ key: 'berth:environment', value: 'dev' }]);
  });

  it('is idempotent by clientToken and refuses the same token with a different request', async () => {
    await createCluster();
    const taskDefinition = await registerWeb();
    const input = { ...serviceInput(taskDefinition), clientToken: 'env-dev-web-1' };

    const first = await client.send(new CreateServiceCommand(input));
    const again = await client.send(new CreateServiceCommand(input));
    const different = await errorOf(client.send(new CreateServiceCommand({ ...input, desiredCount: 3 })));

    expect(again.service?.serviceArn).toBe(first.service?.serviceArn);
    expect(again.service?.deployments?.[0]?.id).toBe(first.service?.deployments?.[0]?.id);
    expect(different.name).toBe('InvalidParameterException');
  });

  it('refuses placement strategies on Fargate and a target group without a load balancer', async () => {
    await createCluster();
    const taskDefinition = await registerWeb();
    const lonely = await elb.send(
      new CreateTargetGroupCommand({
        Name: 'lonely',
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: network.vpcId,
        TargetType: 'ip',
      }),
    );

    const placement = await errorOf(
      client.send(
        new CreateServiceCommand({
          ...serviceInput(taskDefinition),
          placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        }),
      ),
    );
    const noLoadBalancer = await errorOf(
      client.send(
        new CreateServiceCommand(serviceInput(taskDefinition, lonely.TargetGroups?.[0]?.TargetGroupArn)),
      ),
    );

    expect(placement.name).toBe('InvalidParameterException');
    expect(noLoadBalancer.name).toBe('InvalidParameterException');
    expect(noLoadBalancer.message).toContain('does not have an associated load balancer');
  });

  it('rolls a new revision out, draining the old tasks before the deployment completes', async () => {
    await createCluster();
    const v1 = await registerWeb();
    // A 1,500 s drain: 1.5 s of wall time, long enough to be seen by polls on a loaded machine (a
    // 200 s drain, 0.2 s, passed unseen in a CI run).
    const targetGroupArn = await createTargetGroupBehindAlb(1500);
    await client.send(new CreateServiceCommand(serviceInput(v1, targetGroupArn)));
    await steady();
    const v2 = await registerWeb('public.ecr.aws/nginx/nginx:1.27');

    const updated = await client.send(
      new UpdateServiceCommand({ cluster: 'berth-dev', service: 'web', taskDefinition: v2 }),
    );
    expect(updated.service?.deployments?.map((d) => [d.status, d.taskDefinition])).toEqual([
      ['PRIMARY', v2],
      ['ACTIVE', v1],
    ]);
    // While the old targets drain, the rollout is still in progress.
    await eventually(async () => {
      const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      const states = health.TargetHealthDescriptions?.map((d) => d.TargetHealth?.State) ?? [];
      const service = await describeWeb();
      return states.filter((state) => state === 'draining').length === 2 && service.deployments?.length === 2
        ? true
        : undefined;
    });
    const done = await steady(20_000);

    expect(done.taskDefinition).toBe(v2);
    expect(done.deployments?.[0]?.taskDefinition).toBe(v2);
  });

  it('refuses a revision without the load balancer container port unless loadBalancers name the new one', async () => {
    await createCluster();
    const v1 = await registerWeb();
    const targetGroupArn = await createTargetGroupBehindAlb();
    await client.send(new CreateServiceCommand(serviceInput(v1, targetGroupArn)));
    const moved = await registerWeb('public.ecr.aws/nginx/nginx:latest', 9090);

    const refused = await errorOf(
      client.send(new UpdateServiceCommand({ cluster: 'berth-dev', service: 'web', taskDefinition: moved })),
    );
    const accepted = await client.send(
      new UpdateServiceCommand({
        cluster: 'berth-dev',
        service: 'web',
        taskDefinition: moved,
        loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 9090 }],
      }),
    );

    expect(refused).toMatchObject({
      name: 'InvalidParameterException',
      message: 'The container web did not have a container port 8080 defined.',
    });
    expect(accepted.service?.loadBalancers).toEqual([
      { targetGroupArn, containerName: 'web', containerPort: 9090 },
    ]);
  });

  it('fails tasks the load balancer cannot reach through their security group, naming the timeout', async () => {
    await createCluster();
    const v1 = await registerWeb();
    const targetGroupArn = await createTargetGroupBehindAlb();
    const ec2Client = new EC2Client(services.clientConfig);
    const closed = await ec2Client.send(
      new CreateSecurityGroupCommand({
        VpcId: network.vpcId,
        GroupName: 'closed',
        Description: 'no ingress',
      }),
    );
    ec2Client.destroy();
    const input = serviceInput(v1, targetGroupArn);

    await client.send(
      new CreateServiceCommand({
        ...input,
        networkConfiguration: {
          awsvpcConfiguration: { subnets: network.subnetIds, securityGroups: [closed.GroupId ?? ''] },
        },
      }),
    );
    const failed = await eventually(async () => {
      const service = await describeWeb();
      return service.deployments?.[0]?.rolloutState === 'FAILED' ? service : undefined;
    });

    expect(failed.events?.map((event) => event.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/is unhealthy in .* \(reason Request timed out\)\.$/)]),
    );
  });

  it('rolls back with the circuit breaker when the new revision fails its health checks', async () => {
    await createCluster();
    const v1 = await registerWeb();
    const targetGroupArn = await createTargetGroupBehindAlb();
    await client.send(new CreateServiceCommand(serviceInput(v1, targetGroupArn)));
    await steady();
    const broken = await registerWeb('example.com/web:unhealthy');

    await client.send(
      new UpdateServiceCommand({ cluster: 'berth-dev', service: 'web', taskDefinition: broken }),
    );
    // The FAILED deployment is dropped once the rollback completes; its trace stays in the events.
    const rolledBack = await eventually(async () => {
      const service = await describeWeb();
      const [only, ...others] = service.deployments ?? [];
      return others.length === 0 && only?.rolloutState === 'COMPLETED' && only.taskDefinition === v1
        ? service
        : undefined;
    });

    expect(rolledBack.taskDefinition).toBe(v1);
    expect(rolledBack.runningCount).toBe(2);
    expect(rolledBack.events?.map((event) => event.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\(service web\) \(deployment ecs-svc\/\d+\) deployment failed: tasks failed to start\.$/,
        ),
        expect.stringMatching(/rolling back to \(deployment ecs-svc\/\d+\)\.$/),
        expect.stringMatching(/is unhealthy in \(target-group arn:aws:elasticloadbalancing:/),
      ]),
    );
  });

  it('deletes only with force or at zero, drains to INACTIVE, and blocks cluster deletion meanwhile', async () => {
    await createCluster();
    const taskDefinition = await registerWeb();
    await client.send(new CreateServiceCommand(serviceInput(taskDefinition)));

    const scaled = await errorOf(
      client.send(new DeleteServiceCommand({ cluster: 'berth-dev', service: 'web' })),
    );
    // The draining window lasts some AWS seconds, a few real milliseconds at the suite's scale: hold it
    // open (simulated time 100× slower) while the cluster deletion and the listing are tried in it.
    services.running.sim.clock.setScale(TIME_SCALE * 100);
    let deleted: DeleteServiceCommandOutput;
    let busy: Awaited<ReturnType<typeof errorOf>>;
    let listed: ListServicesCommandOutput;
    try {
      deleted = await client.send(
        new DeleteServiceCommand({ cluster: 'berth-dev', service: 'web', force: true }),
      );
      busy = await errorOf(client.send(new DeleteClusterCommand({ cluster: 'berth-dev' })));
      listed = await client.send(new ListServicesCommand({ cluster: 'berth-dev' }));
    } finally {
      services.running.sim.clock.setScale(TIME_SCALE);
    }

    expect(scaled.name).toBe('InvalidParameterException');
    expect(scaled.message).toBe('The service cannot be stopped while it is scaled above 0.');
    expect(deleted.service?.status).toBe('DRAINING');
    expect(busy.name).toBe('ClusterContainsServicesException');
    expect(listed.serviceArns).toEqual(['arn:aws:ecs:us-east-1:000000000000:service/berth-dev/web']);
    await eventually(async () => ((await describeWeb()).status === 'INACTIVE' ? true : undefined));
    const inactiveUpdate = await errorOf(
      client.send(new UpdateServiceCommand({ cluster: 'berth-dev', service: 'web', desiredCount: 1 })),
    );
    expect(inactiveUpdate.name).toBe('ServiceNotActiveException');
    await client.send(new DeleteClusterCommand({ cluster: 'berth-dev' }));
  });

  it('answers MISSING failures and ServiceNotFoundException for unknown services', async () => {
    await createCluster();

    const described = await client.send(
      new DescribeServicesCommand({ cluster: 'berth-dev', services: ['nope'] }),
    );
    const update = await errorOf(
      client.send(new UpdateServiceCommand({ cluster: 'berth-dev', service: 'nope', desiredCount: 1 })),
    );
    const noCluster = await errorOf(
      client.send(new DescribeServicesCommand({ cluster: 'nope', services: ['web'] })),
    );

    expect(described.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:000000000000:service/berth-dev/nope', reason: 'MISSING' },
    ]);
    expect(update.name).toBe('ServiceNotFoundException');
    expect(noCluster.name).toBe('ClusterNotFoundException');
  });
});

describe('standalone tasks', () => {
  function runInput(taskDefinition: string, clientToken?: string) {
    return {
      cluster: 'berth-dev',
      taskDefinition,
      launchType: 'FARGATE' as const,
      networkConfiguration: {
        awsvpcConfiguration: { subnets: [network.subnetIds[0]], securityGroups: [network.securityGroupId] },
      },
      ...(clientToken ? { clientToken } : {}),
    };
  }

  async function stoppedTask(taskArn: string) {
    return eventually(async () => {
      const described = await client.send(
        new DescribeTasksCommand({ cluster: 'berth-dev', tasks: [taskArn] }),
      );
      const task = described.tasks?.[0];
      return task?.lastStatus === 'STOPPED' ? task : undefined;
    });
  }

  it('runs a task that stops with exit code 0, idempotently by clientToken, and blocks cluster deletion while active', async () => {
    await createCluster();
    const taskDefinition = await registerWeb();

    const run = await client.send(new RunTaskCommand(runInput(taskDefinition, 'job-1')));
    const again = await client.send(new RunTaskCommand(runInput(taskDefinition, 'job-1')));
    const taskArn = run.tasks?.[0]?.taskArn ?? '';
    const busy = await errorOf(client.send(new DeleteClusterCommand({ cluster: 'berth-dev' })));

    expect(run.failures).toEqual([]);
    expect(run.tasks?.[0]).toMatchObject({
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      group: 'family:berth-dev-web',
    });
    expect(taskArn).toMatch(/^arn:aws:ecs:us-east-1:000000000000:task\/berth-dev\/[0-9a-f]{32}$/);
    expect(again.tasks?.[0]?.taskArn).toBe(taskArn);
    expect(busy.name).toBe('ClusterContainsTasksException');
    const stopped = await stoppedTask(taskArn);
    expect(stopped.containers?.[0]?.exitCode).toBe(0);
    expect(stopped.stopCode).toBe('EssentialContainerExited');
  });

  it('exits 1 for an image containing "fail", and stops on StopTask', async () => {
    await createCluster();
    const failing = await registerWeb('example.com/job:fail');
    const healthy = await registerWeb();

    const failed = await client.send(new RunTaskCommand(runInput(failing)));
    const running = await client.send(new RunTaskCommand(runInput(healthy)));
    const runningArn = running.tasks?.[0]?.taskArn ?? '';
    const stop = await client.send(
      new StopTaskCommand({ cluster: 'berth-dev', task: runningArn, reason: 'manual' }),
    );

    expect(stop.task).toMatchObject({
      desiredStatus: 'STOPPED',
      stoppedReason: 'manual',
      stopCode: 'UserInitiated',
    });
    expect((await stoppedTask(failed.tasks?.[0]?.taskArn ?? '')).containers?.[0]?.exitCode).toBe(1);
    await stoppedTask(runningArn);
    const stoppedList = await client.send(
      new ListTasksCommand({ cluster: 'berth-dev', desiredStatus: 'STOPPED' }),
    );
    expect(stoppedList.taskArns).toHaveLength(2);
  });

  it('answers MISSING for unknown task ids', async () => {
    await createCluster();

    const described = await client.send(
      new DescribeTasksCommand({ cluster: 'berth-dev', tasks: ['0123456789abcdef0123456789abcdef'] }),
    );

    expect(described.failures?.[0]?.reason).toBe('MISSING');
  });
});

describe('throttling and the AWS CLI', () => {
  it('throttles CreateCluster beyond 20 at once with ThrottlingException', async () => {
    services.running.sim.clock.setScale(1);
    const answers = await Promise.allSettled(
      Array.from({ length: 25 }, (_, index) =>
        client.send(new CreateClusterCommand({ clusterName: `c${index}` })),
      ),
    );
    services.running.sim.clock.setScale(TIME_SCALE);
    const throttled = answers.flatMap((answer) =>
      answer.status === 'rejected'
        ? [answer.reason as Error & { $metadata: { httpStatusCode?: number } }]
        : [],
    );

    expect(throttled.length).toBeGreaterThanOrEqual(5);
    expect(throttled[0]?.name).toBe('ThrottlingException');
    expect(throttled[0]?.$metadata.httpStatusCode).toBe(400);
  });

  it('creates and describes a cluster and reports an error code through the CLI', async () => {
    const endpoint = services.running.url;

    const created = await awsCli(['ecs', 'create-cluster', '--cluster-name', 'cli-cluster'], { endpoint });
    const described = await awsCli(['ecs', 'describe-clusters', '--clusters', 'cli-cluster'], { endpoint });
    const missing = await awsCli(['ecs', 'describe-services', '--cluster', 'nope', '--services', 'web'], {
      endpoint,
    });

    expect(created.exitCode).toBe(0);
    expect(created.json).toMatchObject({ cluster: { clusterName: 'cli-cluster', status: 'ACTIVE' } });
    expect(described.json).toMatchObject({ clusters: [{ clusterName: 'cli-cluster' }], failures: [] });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain('ClusterNotFoundException');
  });
});
