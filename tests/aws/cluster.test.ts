/** shared/aws/cluster.ts against the simulated ECS, Auto Scaling, EC2 and SSM. */
import {
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import {
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  ListTaskDefinitionsCommand,
} from '@aws-sdk/client-ecs';
import type { SimResource } from '@berth/aws-sim/kernel';
import {
  applyContainerInsights,
  ensureCluster,
  ensureEc2Capacity,
  resizeEc2Capacity,
  teardownClusterPass,
} from '../../shared/aws/cluster';
import { ec2CapacityName } from '../../shared/aws/ecs-shapes';
import { registerTaskDefinition } from '../../shared/aws/service';
import { names, TAG_ENVIRONMENT } from '../../shared/domain/naming';
import {
  EXECUTION_ROLE_ARN,
  environment,
  INSTANCE_PROFILE_ARN,
  parseSpec,
  passUntilDone,
  REGION,
  type SimulatedAws,
  startSimulatedAws,
  tagsOf,
} from './ecs-fixture';

/** The AMI the simulated SSM answers for the Amazon Linux 2023 ECS-optimised parameter. */
const SSM_AMI = 'ami-0a1b2c3d4e5f60001';
/** The same for the arm64 parameter, which Graviton instance types take. */
const SSM_ARM64_AMI = 'ami-0a1b2c3d4e5f60002';

const EC2_CLUSTER = {
  capacity: 'EC2' as const,
  ec2: {
    instanceType: 't3.medium',
    minSize: 1,
    maxSize: 4,
    desiredCapacity: 2,
    rootVolumeGiB: 40,
    keyPair: 'ops',
  },
};

let aws: SimulatedAws;

beforeAll(async () => {
  aws = await startSimulatedAws();
});

afterAll(async () => {
  await aws.close();
});

async function provisionEc2(envId: string, amiId?: string) {
  const env = environment(envId);
  const spec = parseSpec({ cluster: { ...EC2_CLUSTER, ec2: { ...EC2_CLUSTER.ec2, amiId } } });
  const ec2 = spec.cluster.ec2;
  if (!ec2) throw new Error('the spec has no ec2 capacity');
  const cluster = await ensureCluster(env, spec.cluster, tagsOf(env), aws.clients);
  const options = {
    clusterName: cluster.clusterName,
    subnetIds: aws.network.subnetIds,
    securityGroupId: aws.network.securityGroupId,
    instanceProfileArn: INSTANCE_PROFILE_ARN,
    tags: tagsOf(env),
  };
  const capacity = await ensureEc2Capacity(env, ec2, options, aws.clients);
  return { env, spec, ec2, cluster, options, capacity };
}

describe('ensureCluster', () => {
  it('creates a Fargate cluster with Container Insights, Fargate providers and the environment tags', async () => {
    const env = environment('env-01J00000000000000000FARG01');
    const spec = parseSpec({ cluster: { capacity: 'FARGATE_SPOT', containerInsights: true } });

    const { clusterArn, clusterName } = await ensureCluster(env, spec.cluster, tagsOf(env), aws.clients);

    expect(clusterName).toBe(names.cluster(env));
    const { clusters = [] } = await aws.clients.ecs.send(
      new DescribeClustersCommand({ clusters: [clusterArn], include: ['TAGS'] }),
    );
    expect(clusters[0]).toMatchObject({
      status: 'ACTIVE',
      settings: [{ name: 'containerInsights', value: 'enabled' }],
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }],
    });
    expect(clusters[0]?.tags).toEqual(
      expect.arrayContaining([
        { key: TAG_ENVIRONMENT, value: env.id },
        { key: 'berth:team', value: 'payments' },
        { key: 'berth:managed-by', value: 'berth' },
      ]),
    );
  });

  it('turns Container Insights off when the spec says so', async () => {
    const env = environment('env-01J00000000000000000FARG02');
    const spec = parseSpec({ cluster: { capacity: 'FARGATE', containerInsights: false } });

    const { clusterArn } = await ensureCluster(env, spec.cluster, tagsOf(env), aws.clients);

    const { clusters = [] } = await aws.clients.ecs.send(
      new DescribeClustersCommand({ clusters: [clusterArn] }),
    );
    expect(clusters[0]?.settings).toEqual([{ name: 'containerInsights', value: 'disabled' }]);
  });

  it('run twice, answers the same cluster and creates no other', async () => {
    const env = environment('env-01J00000000000000000FARG03');
    const spec = parseSpec();

    const first = await ensureCluster(env, spec.cluster, tagsOf(env), aws.clients);
    const second = await ensureCluster(env, spec.cluster, tagsOf(env), aws.clients);

    expect(second).toEqual(first);
    // The simulator has no ListClusters: its inventory stands in for it.
    expect(aws.tagged(env.id)['ecs-cluster']).toHaveLength(1);
  });
});

describe('ensureEc2Capacity', () => {
  it('builds the launch template from the ECS-optimised AMI with gp3 root volume, IMDSv2 (hop limit 1) and the cluster in user data, IMDS blocked for tasks', async () => {
    const { capacity, cluster, env } = await provisionEc2('env-01J000000000000000000EC201');

    const { LaunchTemplateVersions = [] } = await aws.clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: capacity.launchTemplateId }),
    );
    const data = LaunchTemplateVersions[0]?.LaunchTemplateData;
    expect(data).toMatchObject({
      ImageId: SSM_AMI,
      InstanceType: 't3.medium',
      KeyName: 'ops',
      IamInstanceProfile: { Arn: INSTANCE_PROFILE_ARN },
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
    });
    const userData = Buffer.from(data?.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toContain(`echo ECS_CLUSTER=${cluster.clusterName} >> /etc/ecs/ecs.config`);
    expect(userData).toContain('echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config');
    // The simulator's DescribeLaunchTemplateVersions drops list members (blockDeviceMappingSet,
    // securityGroupIdSet, tagSpecificationSet), so those are read from what it stored.
    const stored = aws.running.sim.store.get<SimResource & { data: Record<string, unknown> }>(
      'launch-template',
      capacity.launchTemplateId,
    );
    expect(stored?.data).toMatchObject({
      SecurityGroupId: [aws.network.securityGroupId],
      BlockDeviceMapping: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: '40', VolumeType: 'gp3' } }],
      TagSpecification: [
        { ResourceType: 'instance', Tag: expect.arrayContaining([{ Key: TAG_ENVIRONMENT, Value: env.id }]) },
        { ResourceType: 'volume', Tag: expect.arrayContaining([{ Key: TAG_ENVIRONMENT, Value: env.id }]) },
      ],
    });
    const { LaunchTemplates = [] } = await aws.clients.ec2.send(
      new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [capacity.launchTemplateId] }),
    );
    expect(LaunchTemplates[0]?.Tags).toEqual(
      expect.arrayContaining([{ Key: TAG_ENVIRONMENT, Value: env.id }]),
    );
  });

  it('launches a Graviton instance type from the arm64 ECS-optimised AMI, which the group accepts', async () => {
    // Prepare
    const env = environment('env-01J000000000000000000EC208');
    const spec = parseSpec({
      cluster: { ...EC2_CLUSTER, ec2: { ...EC2_CLUSTER.ec2, instanceType: 't4g.medium' } },
    });
    const ec2 = spec.cluster.ec2;
    if (!ec2) throw new Error('the spec has no ec2 capacity');
    const cluster = await ensureCluster(env, spec.cluster, tagsOf(env), aws.clients);

    // Act: the simulated Auto Scaling refuses a template whose AMI architecture is not the type's.
    const capacity = await ensureEc2Capacity(
      env,
      ec2,
      {
        clusterName: cluster.clusterName,
        subnetIds: aws.network.subnetIds,
        securityGroupId: aws.network.securityGroupId,
        instanceProfileArn: INSTANCE_PROFILE_ARN,
        tags: tagsOf(env),
      },
      aws.clients,
    );

    // Assess
    const { LaunchTemplateVersions = [] } = await aws.clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: capacity.launchTemplateId }),
    );
    expect(LaunchTemplateVersions[0]?.LaunchTemplateData?.ImageId).toBe(SSM_ARM64_AMI);
    const { AutoScalingGroups = [] } = await aws.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [ec2CapacityName(cluster.clusterName)] }),
    );
    expect(AutoScalingGroups[0]?.Instances).toHaveLength(2);
  });

  it('uses the AMI the spec names instead of the SSM parameter', async () => {
    const { capacity } = await provisionEc2('env-01J000000000000000000EC202', 'ami-0123456789abcdef0');

    const { LaunchTemplateVersions = [] } = await aws.clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: capacity.launchTemplateId }),
    );
    expect(LaunchTemplateVersions[0]?.LaunchTemplateData?.ImageId).toBe('ami-0123456789abcdef0');
  });

  it('creates the Auto Scaling group in the app subnets, protected from scale-in, with propagated tags', async () => {
    const { capacity, env } = await provisionEc2('env-01J000000000000000000EC203');

    const { AutoScalingGroups = [] } = await aws.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [capacity.capacityProviderName] }),
    );
    const group = AutoScalingGroups[0];
    expect(group).toMatchObject({
      AutoScalingGroupARN: capacity.autoScalingGroupArn,
      MinSize: 1,
      MaxSize: 4,
      DesiredCapacity: 2,
      NewInstancesProtectedFromScaleIn: true,
      LaunchTemplate: { LaunchTemplateId: capacity.launchTemplateId },
    });
    expect(group?.VPCZoneIdentifier?.split(',').sort()).toEqual([...aws.network.subnetIds].sort());
    expect(group?.Tags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Key: TAG_ENVIRONMENT, Value: env.id, PropagateAtLaunch: true }),
        expect.objectContaining({ Key: 'AmazonECSManaged', PropagateAtLaunch: true }),
      ]),
    );
  });

  it('creates a capacity provider with managed scaling and termination protection, the cluster default', async () => {
    const { capacity, cluster, env } = await provisionEc2('env-01J000000000000000000EC204');

    const { capacityProviders = [] } = await aws.clients.ecs.send(
      new DescribeCapacityProvidersCommand({
        capacityProviders: [capacity.capacityProviderName],
        include: ['TAGS'],
      }),
    );
    expect(capacityProviders[0]).toMatchObject({
      name: ec2CapacityName(cluster.clusterName),
      autoScalingGroupProvider: {
        autoScalingGroupArn: capacity.autoScalingGroupArn,
        managedScaling: { status: 'ENABLED', targetCapacity: 100 },
        managedTerminationProtection: 'ENABLED',
      },
    });
    expect(capacityProviders[0]?.tags).toEqual(
      expect.arrayContaining([{ key: TAG_ENVIRONMENT, value: env.id }]),
    );
    const { clusters = [] } = await aws.clients.ecs.send(
      new DescribeClustersCommand({ clusters: [cluster.clusterArn] }),
    );
    expect(clusters[0]).toMatchObject({
      capacityProviders: [capacity.capacityProviderName],
      defaultCapacityProviderStrategy: [
        { capacityProvider: capacity.capacityProviderName, weight: 1, base: 0 },
      ],
    });
  });

  it('run twice, answers the same launch template, group and provider and creates nothing new', async () => {
    const first = await provisionEc2('env-01J000000000000000000EC205');

    const second = await ensureEc2Capacity(first.env, first.ec2, first.options, aws.clients);

    expect(second).toEqual(first.capacity);
    const tagged = aws.tagged(first.env.id);
    expect(tagged['launch-template']).toHaveLength(1);
    expect(tagged['autoscaling-group']).toHaveLength(1);
    expect(tagged['ecs-capacity-provider']).toHaveLength(1);
    expect(tagged['ecs-cluster']).toHaveLength(1);
  });
});

describe('resizeEc2Capacity', () => {
  async function sizeOf(name: string) {
    const { AutoScalingGroups = [] } = await aws.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    const [group] = AutoScalingGroups;
    return { min: group?.MinSize, max: group?.MaxSize, desired: group?.DesiredCapacity };
  }

  it('sets the desired capacity an update changed, with the new bounds', async () => {
    // Prepare
    const { cluster, capacity } = await provisionEc2('env-01J000000000000000000EC210');

    // Act
    const changed = await resizeEc2Capacity(
      cluster.clusterName,
      { minSize: 2, maxSize: 6, desiredCapacity: 5 },
      { desiredCapacityChanged: true },
      aws.clients.autoScaling,
    );

    // Assess
    expect(changed).toBe(true);
    expect(await sizeOf(capacity.capacityProviderName)).toEqual({ min: 2, max: 6, desired: 5 });
  });

  it('leaves the desired capacity to managed scaling when the update did not change it', async () => {
    // Prepare: the group was built with desired 2, then scaled out to 4 as ECS managed scaling does.
    const { cluster, capacity } = await provisionEc2('env-01J000000000000000000EC211');
    await aws.clients.autoScaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: capacity.capacityProviderName,
        DesiredCapacity: 4,
      }),
    );

    // Act: an update that raises the maximum and keeps the spec's desired capacity of 2.
    const changed = await resizeEc2Capacity(
      cluster.clusterName,
      { minSize: 1, maxSize: 6, desiredCapacity: 2 },
      { desiredCapacityChanged: false },
      aws.clients.autoScaling,
    );
    const again = await resizeEc2Capacity(
      cluster.clusterName,
      { minSize: 1, maxSize: 6, desiredCapacity: 2 },
      { desiredCapacityChanged: false },
      aws.clients.autoScaling,
    );

    // Assess
    expect(await sizeOf(capacity.capacityProviderName)).toEqual({ min: 1, max: 6, desired: 4 });
    expect([changed, again]).toEqual([true, false]);
  });
});

describe('applyContainerInsights', () => {
  it('turns Container Insights off on an existing cluster, and a second call changes nothing', async () => {
    // Prepare
    const env = environment('env-01J000000000000000000EC212');
    const { clusterName } = await ensureCluster(env, parseSpec({}).cluster, tagsOf(env), aws.clients);

    // Act
    const first = await applyContainerInsights(clusterName, false, aws.clients.ecs);
    const second = await applyContainerInsights(clusterName, false, aws.clients.ecs);

    // Assess
    const { clusters = [] } = await aws.clients.ecs.send(
      new DescribeClustersCommand({ clusters: [clusterName], include: ['SETTINGS'] }),
    );
    expect(clusters[0]?.settings).toEqual([{ name: 'containerInsights', value: 'disabled' }]);
    expect([first, second]).toEqual([true, false]);
  });
});

describe('teardownClusterPass', () => {
  it('reports the terminating Auto Scaling group as blocking, then leaves nothing tagged', async () => {
    const { env, cluster } = await provisionEc2('env-01J000000000000000000EC206');
    const service = parseSpec().services[0];
    if (!service) throw new Error('no service in the spec');
    await registerTaskDefinition(
      env,
      service,
      {
        capacity: 'EC2',
        executionRoleArn: EXECUTION_ROLE_ARN,
        logGroup: '/berth/x',
        region: REGION,
        tags: tagsOf(env),
      },
      aws.clients,
    );

    const passes = await passUntilDone(() => teardownClusterPass(env.id, cluster.clusterName, aws.clients));

    expect(passes.length).toBeGreaterThan(1);
    expect(passes[0]?.blocked.map((blocker) => blocker.code)).toContain('AutoScalingGroupDeleting');
    const tagged = aws.tagged(env.id);
    expect(tagged['autoscaling-group'] ?? []).toEqual([]);
    expect(tagged['launch-template'] ?? []).toEqual([]);
    expect(tagged['ecs-capacity-provider'] ?? []).toEqual([]);
    // ECS keeps INACTIVE clusters and task definitions visible for a while, as AWS does.
    expect((tagged['ecs-cluster'] ?? []).filter((resource) => resource.status !== 'INACTIVE')).toEqual([]);
    // ListTaskDefinitions takes the exact family: neither an ACTIVE nor an INACTIVE revision is left.
    for (const status of ['ACTIVE', 'INACTIVE'] as const) {
      const { taskDefinitionArns = [] } = await aws.clients.ecs.send(
        new ListTaskDefinitionsCommand({ familyPrefix: names.taskFamily(env, service.name), status }),
      );
      expect(taskDefinitionArns).toEqual([]);
    }
  });

  it('deletes a Fargate cluster in one pass, and a further pass is done too', async () => {
    const env = environment('env-01J00000000000000000FARG04');
    const { clusterName } = await ensureCluster(env, parseSpec().cluster, tagsOf(env), aws.clients);

    const first = await teardownClusterPass(env.id, clusterName, aws.clients);
    const again = await teardownClusterPass(env.id, clusterName, aws.clients);

    expect(first).toEqual({ done: true, blocked: [] });
    expect(again).toEqual({ done: true, blocked: [] });
    const { clusters = [] } = await aws.clients.ecs.send(
      new DescribeClustersCommand({ clusters: [clusterName] }),
    );
    expect(clusters.every((cluster) => cluster.status === 'INACTIVE')).toBe(true);
  });
});
