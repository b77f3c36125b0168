import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  type _InstanceType,
  CreateLaunchTemplateCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteCapacityProviderCommand,
  DeleteClusterCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  ECSClient,
  PutClusterCapacityProvidersCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { autoscaling } from '../src/services/autoscaling';
import { ec2 } from '../src/services/ec2';
import { ecs } from '../src/services/ecs';
import { elbv2 } from '../src/services/elbv2';
import { ECS_OPTIMIZED_AMIS } from '../src/services/ssm';
import { createNetwork, eventually, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let asg: AutoScalingClient;
let ecsClient: ECSClient;
let ec2Client: EC2Client;
let network: TestNetwork;
let launchTemplateId: string;

beforeAll(async () => {
  // Instances stay Pending 1,500 AWS seconds (1.5 s of wall time here), not the model's 40–90 s
  // (under 0.1 s): the tests look at them Pending, which a loaded CI machine could otherwise pass.
  services = await startServices([ec2, elbv2, ecs, autoscaling], 7, { ec2InstanceRunning: [1500, 1500] });
  asg = new AutoScalingClient(services.clientConfig);
  ecsClient = new ECSClient(services.clientConfig);
  ec2Client = new EC2Client(services.clientConfig);
});

afterAll(async () => {
  asg.destroy();
  ecsClient.destroy();
  ec2Client.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  network = await createNetwork(services);
  const template = await ec2Client.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'berth-dev-cluster',
      LaunchTemplateData: {
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.small',
        SecurityGroupIds: [network.securityGroupId],
        UserData: Buffer.from('#!/bin/bash\necho ECS_CLUSTER=berth-dev >> /etc/ecs/ecs.config\n').toString(
          'base64',
        ),
      },
    }),
  );
  launchTemplateId = template.LaunchTemplate?.LaunchTemplateId ?? '';
  await ecsClient.send(new CreateClusterCommand({ clusterName: 'berth-dev' }));
});

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected an error');
    },
    (error: { name: string; message: string }) => error,
  );

async function createGroup(desired = 2, protectedFromScaleIn = true) {
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'berth-dev-asg',
      LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
      MinSize: 0,
      MaxSize: 4,
      DesiredCapacity: desired,
      VPCZoneIdentifier: network.subnetIds.join(','),
      NewInstancesProtectedFromScaleIn: protectedFromScaleIn,
      Tags: [{ Key: 'berth:environment', Value: 'dev', PropagateAtLaunch: true }],
    }),
  );
  const described = await asg.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['berth-dev-asg'] }),
  );
  const group = described.AutoScalingGroups?.[0];
  if (!group?.AutoScalingGroupARN) throw new Error('no group');
  return { ...group, AutoScalingGroupARN: group.AutoScalingGroupARN };
}

async function describeGroup() {
  const described = await asg.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['berth-dev-asg'] }),
  );
  return described.AutoScalingGroups?.[0];
}

async function registeredInstances() {
  const described = await ecsClient.send(new DescribeClustersCommand({ clusters: ['berth-dev'] }));
  return described.clusters?.[0]?.registeredContainerInstancesCount ?? 0;
}

describe('auto scaling groups', () => {
  it('launches instances with ENIs that go Pending → InService and register in the cluster from user data', async () => {
    const group = await createGroup();

    expect(group).toMatchObject({
      AutoScalingGroupName: 'berth-dev-asg',
      MinSize: 0,
      MaxSize: 4,
      DesiredCapacity: 2,
      VPCZoneIdentifier: network.subnetIds.join(','),
      NewInstancesProtectedFromScaleIn: true,
      Tags: [
        {
          Key: 'berth:environment',
          Value: 'dev',
          PropagateAtLaunch: true,
          ResourceType: 'auto-scaling-group',
        },
      ],
    });
    expect(group.AutoScalingGroupARN).toMatch(
      /^arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:[0-9a-f-]{36}:autoScalingGroupName\/berth-dev-asg$/,
    );
    expect(group.Instances?.map((instance) => instance.LifecycleState)).toEqual(['Pending', 'Pending']);
    const enis = await ec2Client.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [network.vpcId] }] }),
    );
    expect(enis.NetworkInterfaces).toHaveLength(2);
    await eventually(async () => ((await registeredInstances()) === 2 ? true : undefined));
    expect((await describeGroup())?.Instances?.map((instance) => instance.LifecycleState)).toEqual([
      'InService',
      'InService',
    ]);
  });

  it('refuses a duplicate name and sizes outside min/max', async () => {
    await createGroup(0);

    const duplicate = await errorOf(createGroup(0));
    const outside = await errorOf(
      asg.send(
        new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-asg', DesiredCapacity: 9 }),
      ),
    );

    expect(duplicate.name).toBe('AlreadyExistsFault');
    expect(outside.name).toBe('ValidationError');
  });

  it('scales in only unprotected instances', async () => {
    await createGroup(2, false);

    await asg.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-asg', DesiredCapacity: 1 }),
    );
    const group = await describeGroup();

    expect(group?.DesiredCapacity).toBe(1);
    expect(group?.Instances?.map((instance) => instance.LifecycleState).sort()).toEqual([
      'Pending',
      'Terminating',
    ]);
  });

  it('keeps instances protected from scale in', async () => {
    await createGroup(2, true);

    await asg.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-asg', DesiredCapacity: 1 }),
    );
    const group = await describeGroup();

    expect(group?.Instances?.map((instance) => instance.LifecycleState)).toEqual(['Pending', 'Pending']);
  });

  it('refuses deletion with instances (ScalingActivityInProgress, then ResourceInUse) and force-deletes after termination', async () => {
    await createGroup();

    const launching = await errorOf(
      asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-asg' })),
    );
    await eventually(async () => ((await registeredInstances()) === 2 ? true : undefined));
    const inUse = await errorOf(
      asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-asg' })),
    );
    const clusterBusy = await errorOf(ecsClient.send(new DeleteClusterCommand({ cluster: 'berth-dev' })));
    await asg.send(
      new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-asg', ForceDelete: true }),
    );
    const deleting = await describeGroup();

    expect(launching.name).toBe('ScalingActivityInProgressFault');
    expect(inUse.name).toBe('ResourceInUseFault');
    expect(clusterBusy.name).toBe('ClusterContainsContainerInstancesException');
    expect(deleting?.Status).toBe('Delete in progress');
    await eventually(async () => ((await describeGroup()) === undefined ? true : undefined));
    expect(await registeredInstances()).toBe(0);
    await ecsClient.send(new DeleteClusterCommand({ cluster: 'berth-dev' }));
  });
});

describe('AMI architecture', () => {
  async function templateWith(name: string, instanceType: _InstanceType, imageId: string): Promise<string> {
    const template = await ec2Client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: name,
        LaunchTemplateData: { ImageId: imageId, InstanceType: instanceType },
      }),
    );
    return template.LaunchTemplate?.LaunchTemplateId ?? '';
  }

  function groupFrom(name: string, templateId: string) {
    return new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateId: templateId, Version: '$Latest' },
      MinSize: 0,
      MaxSize: 2,
      DesiredCapacity: 1,
      VPCZoneIdentifier: network.subnetIds.join(','),
    });
  }

  /** The image id behind a public ECS-optimised AMI parameter (without its `/image_id`). */
  function publicAmi(path: string): string {
    const ami = ECS_OPTIMIZED_AMIS[`/aws/service/ecs/optimized-ami/amazon-linux-2023/${path}`];
    if (!ami) throw new Error(`no public AMI ${path}`);
    return ami.imageId;
  }

  it('refuses a Graviton instance type with the x86_64 ECS AMI, as Auto Scaling does', async () => {
    // Prepare
    const x86Ami = publicAmi('recommended');
    const templateId = await templateWith('graviton-x86', 'm7g.large', x86Ami);

    // Act
    const refused = await errorOf(asg.send(groupFrom('graviton-x86', templateId)));

    // Assess
    expect(refused.name).toBe('ValidationError');
    expect(refused.message).toBe(
      "You must use a valid fully-formed launch template. The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.",
    );
    expect(
      (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['graviton-x86'] })))
        .AutoScalingGroups,
    ).toEqual([]);
  });

  it('refuses an x86_64 type with the arm64 AMI, and launches each type from its own AMI', async () => {
    // Prepare
    const armAmi = publicAmi('arm64/recommended');
    const x86Ami = publicAmi('recommended');
    const mismatched = await templateWith('x86-arm', 't3.medium', armAmi);
    const graviton = await templateWith('graviton-arm', 't4g.medium', armAmi);
    const intel = await templateWith('x86-x86', 'c7i.large', x86Ami);

    // Act
    const refused = await errorOf(asg.send(groupFrom('x86-arm', mismatched)));
    await asg.send(groupFrom('graviton-arm', graviton));
    await asg.send(groupFrom('x86-x86', intel));

    // Assess
    expect(refused.message).toContain(
      "The architecture 'x86_64' of the specified instance type does not match the architecture 'arm64' of the specified AMI.",
    );
    const described = await asg.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['graviton-arm', 'x86-x86'] }),
    );
    expect(described.AutoScalingGroups?.map((group) => group.Instances?.length)).toEqual([1, 1]);
  });

  it('launches from a mismatched template when /_local/strictness switches amiArchitecture off', async () => {
    // Prepare
    const templateId = await templateWith('graviton-x86', 'm7g.large', publicAmi('recommended'));
    const strictness = (amiArchitecture: boolean) =>
      fetch(`${services.running.url}/_local/strictness`, {
        method: 'PUT',
        body: JSON.stringify({ amiArchitecture }),
      });

    // Act
    await strictness(false);
    await asg.send(groupFrom('graviton-x86', templateId)).finally(() => strictness(true));

    // Assess
    const described = await asg.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['graviton-x86'] }),
    );
    expect(described.AutoScalingGroups?.[0]?.Instances).toHaveLength(1);
  });
});

describe('EC2 capacity providers', () => {
  async function createProvider(groupArn: string) {
    return ecsClient.send(
      new CreateCapacityProviderCommand({
        name: 'berth-dev-ec2',
        autoScalingGroupProvider: {
          autoScalingGroupArn: groupArn,
          managedScaling: { status: 'ENABLED', targetCapacity: 100 },
          managedTerminationProtection: 'ENABLED',
        },
        tags: [{ key: 'berth:environment', value: 'dev' }],
      }),
    );
  }

  it('creates a provider with managed scaling and termination protection, and refuses a second one on the group', async () => {
    const group = await createGroup(0);

    const created = await createProvider(group.AutoScalingGroupARN);
    const again = await errorOf(
      ecsClient.send(
        new CreateCapacityProviderCommand({
          name: 'other',
          autoScalingGroupProvider: { autoScalingGroupArn: group.AutoScalingGroupARN },
        }),
      ),
    );
    const described = await ecsClient.send(
      new DescribeCapacityProvidersCommand({ capacityProviders: ['berth-dev-ec2', 'nope'] }),
    );

    expect(created.capacityProvider).toMatchObject({
      capacityProviderArn: 'arn:aws:ecs:us-east-1:000000000000:capacity-provider/berth-dev-ec2',
      status: 'ACTIVE',
      autoScalingGroupProvider: {
        autoScalingGroupArn: group.AutoScalingGroupARN,
        managedScaling: { status: 'ENABLED', targetCapacity: 100 },
        managedTerminationProtection: 'ENABLED',
      },
    });
    expect(again.name).toBe('ClientException');
    expect(described.capacityProviders?.map((provider) => provider.name)).toEqual(['berth-dev-ec2']);
    expect(described.failures).toEqual([{ arn: 'nope', reason: 'MISSING' }]);
  });

  it('needs scale-in protection on the group for managed termination protection', async () => {
    const group = await createGroup(0, false);

    const refused = await errorOf(createProvider(group.AutoScalingGroupARN));

    expect(refused.name).toBe('ClientException');
    expect(refused.message).toContain('instance protection from scale in');
  });

  it('fails deleting a provider still associated with a cluster, and deletes it once removed', async () => {
    const group = await createGroup(0);
    await createProvider(group.AutoScalingGroupARN);
    await ecsClient.send(
      new PutClusterCapacityProvidersCommand({
        cluster: 'berth-dev',
        capacityProviders: ['berth-dev-ec2'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'berth-dev-ec2', weight: 1 }],
      }),
    );

    const refused = await ecsClient.send(
      new DeleteCapacityProviderCommand({ capacityProvider: 'berth-dev-ec2' }),
    );
    const clusterBlocked = await errorOf(ecsClient.send(new DeleteClusterCommand({ cluster: 'berth-dev' })));
    await ecsClient.send(
      new PutClusterCapacityProvidersCommand({
        cluster: 'berth-dev',
        capacityProviders: [],
        defaultCapacityProviderStrategy: [],
      }),
    );
    const deleted = await ecsClient.send(
      new DeleteCapacityProviderCommand({ capacityProvider: 'berth-dev-ec2' }),
    );

    expect(refused.capacityProvider).toMatchObject({ status: 'ACTIVE', updateStatus: 'DELETE_FAILED' });
    expect(refused.capacityProvider?.updateStatusReason).toContain('associated with cluster: berth-dev');
    expect(clusterBlocked.name).toBe('ClientException');
    expect(deleted.capacityProvider).toMatchObject({
      status: 'INACTIVE',
      updateStatus: 'DELETE_IN_PROGRESS',
    });
  });

  it('places service tasks on the EC2 capacity once container instances have registered', async () => {
    const group = await createGroup(1);
    await createProvider(group.AutoScalingGroupARN);
    await ecsClient.send(
      new PutClusterCapacityProvidersCommand({
        cluster: 'berth-dev',
        capacityProviders: ['berth-dev-ec2'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'berth-dev-ec2', weight: 1 }],
      }),
    );
    const definition = await ecsClient.send(
      new RegisterTaskDefinitionCommand({
        family: 'berth-dev-worker',
        requiresCompatibilities: ['EC2'],
        networkMode: 'awsvpc',
        memory: '512',
        containerDefinitions: [{ name: 'worker', image: 'example.com/worker:1' }],
      }),
    );

    await ecsClient.send(
      new CreateServiceCommand({
        cluster: 'berth-dev',
        serviceName: 'worker',
        taskDefinition: definition.taskDefinition?.taskDefinitionArn,
        desiredCount: 1,
        networkConfiguration: {
          awsvpcConfiguration: { subnets: network.subnetIds, securityGroups: [network.securityGroupId] },
        },
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == t3.small' }],
      }),
    );

    const service = await eventually(async () => {
      const described = await ecsClient.send(
        new DescribeServicesCommand({ cluster: 'berth-dev', services: ['worker'] }),
      );
      const worker = described.services?.[0];
      return worker?.runningCount === 1 && worker.deployments?.[0]?.rolloutState === 'COMPLETED'
        ? worker
        : undefined;
    });
    expect(service.capacityProviderStrategy).toEqual([
      { capacityProvider: 'berth-dev-ec2', weight: 1, base: 0 },
    ]);
    expect(service.placementStrategy).toEqual([{ type: 'spread', field: 'attribute:ecs.availability-zone' }]);
  });
});
