/**
 * Subnet addresses and per-instance ENI capacity (docs/aws-facts.md#subnet-addresses-and-eni-capacity):
 * what a full subnet refuses, what an instance holds with and without ENI trunking, and the switches.
 *
 * Most tests freeze the simulated clock (time scale 1: a test's few hundred milliseconds are as many
 * AWS milliseconds, while a task takes 30 s or more to run), so every ENI made stays where it is
 * while the test counts; they speed it up only to see what happens later.
 */
import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateNatGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListAccountSettingsCommand,
  PutAccountSettingCommand,
  PutAccountSettingDefaultCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateLoadBalancerCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { autoscaling } from '../src/services/autoscaling';
import { ec2 } from '../src/services/ec2';
import { ecs } from '../src/services/ecs';
import { elbv2 } from '../src/services/elbv2';
import { asRole } from './iam-session';
import { createNetwork, eventually, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices, TIME_SCALE } from './simulated-services';

let services: SimulatedServices;
let ecsClient: ECSClient;
let ec2Client: EC2Client;
let elb: ElasticLoadBalancingV2Client;
let asg: AutoScalingClient;

beforeAll(async () => {
  services = await startServices([ec2, elbv2, ecs, autoscaling]);
  ecsClient = new ECSClient(services.clientConfig);
  ec2Client = new EC2Client(services.clientConfig);
  elb = new ElasticLoadBalancingV2Client(services.clientConfig);
  asg = new AutoScalingClient(services.clientConfig);
});

afterAll(async () => {
  ecsClient.destroy();
  ec2Client.destroy();
  elb.destroy();
  asg.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  services.running.sim.clock.setScale(TIME_SCALE);
  await ecsClient.send(
    new CreateClusterCommand({
      clusterName: 'berth-dev',
      capacityProviders: ['FARGATE'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
    }),
  );
});

afterEach(() => services.running.sim.clock.setScale(TIME_SCALE));

const freeze = () => services.running.sim.clock.setScale(1);
const thaw = () => services.running.sim.clock.setScale(TIME_SCALE);

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected an error');
    },
    (error: { name: string; message: string }) => error,
  );

async function control(method: 'GET' | 'PUT', path: string, body?: unknown) {
  const response = await fetch(`${services.running.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A /24 VPC with two /28 subnets (11 usable addresses each) in two zones. */
async function smallNetwork(): Promise<{ vpcId: string; subnetIds: [string, string] }> {
  const vpcId = (await ec2Client.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/24' }))).Vpc?.VpcId ?? '';
  const subnet = async (cidr: string, zone: string) =>
    (await ec2Client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone })))
      .Subnet?.SubnetId ?? '';
  return {
    vpcId,
    subnetIds: [await subnet('10.9.0.0/28', 'us-east-1a'), await subnet('10.9.0.16/28', 'us-east-1b')],
  };
}

async function freeAddresses(subnetId: string): Promise<number | undefined> {
  const described = await ec2Client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
  return described.Subnets?.[0]?.AvailableIpAddressCount;
}

async function registerTask(compatibility: 'FARGATE' | 'EC2'): Promise<string> {
  const registered = await ecsClient.send(
    new RegisterTaskDefinitionCommand({
      family: `berth-dev-${compatibility.toLowerCase()}`,
      requiresCompatibilities: [compatibility],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: 'web', image: 'nginx:1.27', essential: true, portMappings: [{ containerPort: 80 }] },
      ],
    }),
  );
  return registered.taskDefinition?.taskDefinitionArn ?? '';
}

/** Runs `count` Fargate tasks in one subnet, ten at a time (RunTask's maximum). */
async function runFargate(taskDefinition: string, subnetId: string, count: number) {
  const tasks: string[] = [];
  for (let left = count; left > 0; left -= 10) {
    const ran = await ecsClient.send(
      new RunTaskCommand({
        cluster: 'berth-dev',
        taskDefinition,
        launchType: 'FARGATE',
        count: Math.min(10, left),
        networkConfiguration: { awsvpcConfiguration: { subnets: [subnetId], assignPublicIp: 'DISABLED' } },
      }),
    );
    tasks.push(...(ran.tasks ?? []).map((task) => task.taskArn ?? ''));
  }
  return tasks;
}

async function describeTasks(arns: string[]) {
  const described = await ecsClient.send(new DescribeTasksCommand({ cluster: 'berth-dev', tasks: arns }));
  return described.tasks ?? [];
}

const eniOf = (task: { attachments?: Array<{ details?: Array<{ name?: string; value?: string }> }> }) =>
  task.attachments?.[0]?.details?.find((detail) => detail.name === 'networkInterfaceId')?.value;

describe('subnet addresses', () => {
  it('offers a /28 subnet 11 addresses, one less per ENI, and gives them back once the ENI is gone', async () => {
    const { subnetIds } = await smallNetwork();
    const taskDefinition = await registerTask('FARGATE');
    const before = await freeAddresses(subnetIds[0]);
    freeze();

    const tasks = await runFargate(taskDefinition, subnetIds[0], 3);
    const during = await freeAddresses(subnetIds[0]);
    thaw();
    // ECS replays its tasks' lives when it is asked: the probe asks it, so they stop and let go.
    const after = await eventually(async () => {
      await describeTasks(tasks);
      const free = await freeAddresses(subnetIds[0]);
      return free === 11 ? free : undefined;
    }, 10_000);

    expect([before, during, after]).toEqual([11, 8, 11]);
  });

  it("stops a task whose subnet has no address left with ECS's TaskFailedToStart reason", async () => {
    const { subnetIds } = await smallNetwork();
    const taskDefinition = await registerTask('FARGATE');
    freeze();

    const fitting = await runFargate(taskDefinition, subnetIds[0], 11);
    const [extra] = await runFargate(taskDefinition, subnetIds[0], 1);
    const placed = await describeTasks([...fitting, extra ?? '']);
    thaw();
    const failed = await eventually(async () => {
      const [task] = await describeTasks([extra ?? '']);
      return task?.lastStatus === 'STOPPED' ? task : undefined;
    }, 10_000);

    expect(placed.filter((task) => eniOf(task) !== undefined)).toHaveLength(11);
    expect(eniOf(placed[11] ?? {})).toBeUndefined();
    expect(failed).toMatchObject({
      stopCode: 'TaskFailedToStart',
      stoppedReason: `Unexpected EC2 error while attempting to Create Network Interface in subnet '${subnetIds[0]}': InsufficientFreeAddressesInSubnet`,
    });
  });

  it('refuses a load balancer in a subnet with fewer than 8 free addresses, and creates one with 8', async () => {
    const { subnetIds } = await smallNetwork();
    const taskDefinition = await registerTask('FARGATE');
    freeze();
    await runFargate(taskDefinition, subnetIds[0], 3);

    const created = await elb.send(new CreateLoadBalancerCommand({ Name: 'berth-fits', Subnets: subnetIds }));
    // The first load balancer's ENI took the eighth free address of the first subnet.
    const refused = await errorOf(
      elb.send(new CreateLoadBalancerCommand({ Name: 'berth-full', Subnets: subnetIds })),
    );

    expect(created.LoadBalancers?.[0]?.LoadBalancerName).toBe('berth-fits');
    expect(refused).toMatchObject({
      name: 'InvalidSubnetException',
      message: `Not enough IP space available in ${subnetIds[0]}. ELB requires at least 8 free IP addresses in each subnet.`,
    });
  });

  it('fails a NAT gateway in a full subnet with the failure code and message EC2 documents', async () => {
    const { subnetIds } = await smallNetwork();
    const taskDefinition = await registerTask('FARGATE');
    freeze();
    await runFargate(taskDefinition, subnetIds[0], 11);

    const created = await ec2Client.send(
      new CreateNatGatewayCommand({ SubnetId: subnetIds[0], ConnectivityType: 'private' }),
    );
    thaw();
    const failed = await eventually(async () => {
      const described = await ec2Client
        .send(new DescribeNatGatewaysCommand({ NatGatewayIds: [created.NatGateway?.NatGatewayId ?? ''] }))
        .catch(() => undefined);
      const gateway = described?.NatGateways?.[0];
      return gateway?.State === 'failed' ? gateway : undefined;
    }, 10_000);

    expect(failed).toMatchObject({
      FailureCode: 'InsufficientFreeAddressesInSubnet',
      FailureMessage: 'Subnet has insufficient free addresses to create this NAT gateway',
    });
  });

  it('hands out addresses past the end of a full subnet once the capacity model is switched off', async () => {
    const { subnetIds } = await smallNetwork();
    const taskDefinition = await registerTask('FARGATE');
    const switched = await control('PUT', '/_local/capacity', { subnetAddresses: false });
    freeze();

    const tasks = await runFargate(taskDefinition, subnetIds[0], 12);
    const placed = await describeTasks(tasks);
    const bad = await control('PUT', '/_local/capacity', { subnetAddresses: 'no' });

    expect(switched).toEqual({ status: 200, body: { subnetAddresses: false, instanceEnis: true } });
    expect(placed.filter((task) => eniOf(task) !== undefined)).toHaveLength(12);
    expect(bad.status).toBe(400);
  });
});

/** A cluster `berth-dev` backed by an Auto Scaling group of `count` instances of `instanceType`. */
async function ec2Capacity(network: TestNetwork, instanceType: string, count: number): Promise<void> {
  const template = await ec2Client.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `berth-dev-${instanceType}`,
      LaunchTemplateData: {
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: instanceType as 't3.medium',
        IamInstanceProfile: { Name: 'berth-dev-instance' },
        SecurityGroupIds: [network.securityGroupId],
        UserData: Buffer.from('#!/bin/bash\necho ECS_CLUSTER=berth-dev >> /etc/ecs/ecs.config\n').toString(
          'base64',
        ),
      },
    }),
  );
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: `berth-dev-${instanceType}`,
      LaunchTemplate: {
        LaunchTemplateId: template.LaunchTemplate?.LaunchTemplateId ?? '',
        Version: '$Latest',
      },
      MinSize: 0,
      MaxSize: count,
      DesiredCapacity: count,
      VPCZoneIdentifier: network.subnetIds[0],
    }),
  );
  await eventually(async () => {
    const described = await ecsClient.send(new DescribeClustersCommand({ clusters: ['berth-dev'] }));
    return (described.clusters?.[0]?.registeredContainerInstancesCount ?? 0) >= count ? true : undefined;
  }, 10_000);
}

async function ec2Service(network: TestNetwork, desiredCount: number) {
  const taskDefinition = await registerTask('EC2');
  await ecsClient.send(
    new CreateServiceCommand({
      cluster: 'berth-dev',
      serviceName: 'web',
      taskDefinition,
      desiredCount,
      launchType: 'EC2',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: [network.subnetIds[0]], securityGroups: [network.securityGroupId] },
      },
    }),
  );
  const described = await ecsClient.send(
    new DescribeServicesCommand({ cluster: 'berth-dev', services: ['web'] }),
  );
  return described.services?.[0];
}

describe('ENIs per container instance', () => {
  it('places two awsvpc tasks on a t3.medium and reports RESOURCE:ENI for the third', async () => {
    const network = await createNetwork(services);
    await ec2Capacity(network, 't3.medium', 1);
    freeze();

    const service = await ec2Service(network, 3);

    expect(service?.runningCount ?? 0).toBe(0);
    expect(service?.pendingCount ?? 0).toBe(2);
    expect(service?.events?.[0]?.message).toMatch(
      /^\(service web\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [0-9a-f]{32}\) encountered error "RESOURCE:ENI"\. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide\.$/,
    );
  });

  it('answers RunTask with a RESOURCE:ENI failure for the task no instance has room for', async () => {
    const network = await createNetwork(services);
    await ec2Capacity(network, 't3.medium', 1);
    const taskDefinition = await registerTask('EC2');
    freeze();

    const ran = await ecsClient.send(
      new RunTaskCommand({
        cluster: 'berth-dev',
        taskDefinition,
        launchType: 'EC2',
        count: 3,
        networkConfiguration: { awsvpcConfiguration: { subnets: [network.subnetIds[0]] } },
      }),
    );

    expect(ran.tasks).toHaveLength(2);
    expect(
      ran.tasks?.every((task) => task.containerInstanceArn?.includes(':container-instance/berth-dev/')),
    ).toBe(true);
    expect(ran.failures).toEqual([
      { arn: expect.stringContaining(':container-instance/berth-dev/'), reason: 'RESOURCE:ENI' },
    ]);
  });

  it('places ten tasks on an m5.large whose role opted in to awsvpcTrunking, with a trunk ENI', async () => {
    const network = await createNetwork(services);
    await ecsClient.send(
      new PutAccountSettingCommand({
        name: 'awsvpcTrunking',
        value: 'enabled',
        principalArn: 'arn:aws:iam::000000000000:role/berth-dev-instance',
      }),
    );
    await ec2Capacity(network, 'm5.large', 1);
    freeze();

    const service = await ec2Service(network, 11);
    const trunks = await ec2Client.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'interface-type', Values: ['trunk'] }] }),
    );

    expect(service?.pendingCount).toBe(10);
    expect(service?.events?.[0]?.message).toContain('encountered error "RESOURCE:ENI"');
    expect(trunks.NetworkInterfaces).toHaveLength(1);
  });

  it('keeps an m5.large at two tasks without trunking, and a t3.medium at two even with it', async () => {
    const network = await createNetwork(services);
    await ec2Capacity(network, 'm5.large', 1);
    freeze();
    const untrunked = await ec2Service(network, 4);
    thaw();
    services.running.sim.reset();
    await ecsClient.send(new CreateClusterCommand({ clusterName: 'berth-dev' }));
    const again = await createNetwork(services);
    await ecsClient.send(new PutAccountSettingDefaultCommand({ name: 'awsvpcTrunking', value: 'enabled' }));
    await ec2Capacity(again, 't3.medium', 1);
    freeze();

    const burstable = await ec2Service(again, 4);

    expect([untrunked?.pendingCount, burstable?.pendingCount]).toEqual([2, 2]);
  });

  it('places every task once the per-instance ENI limit is switched off', async () => {
    const network = await createNetwork(services);
    await ec2Capacity(network, 't3.medium', 1);
    await control('PUT', '/_local/capacity', { instanceEnis: false });
    freeze();

    const service = await ec2Service(network, 5);

    expect(service?.pendingCount).toBe(5);
  });
});

describe('account settings', () => {
  it("answers each principal its own setting, else the account default, else AWS's", async () => {
    const role = 'arn:aws:iam::000000000000:role/berth-dev-instance';

    const before = await ecsClient.send(
      new ListAccountSettingsCommand({ name: 'awsvpcTrunking', principalArn: role, effectiveSettings: true }),
    );
    await ecsClient.send(new PutAccountSettingDefaultCommand({ name: 'awsvpcTrunking', value: 'enabled' }));
    const defaulted = await ecsClient.send(
      new ListAccountSettingsCommand({ name: 'awsvpcTrunking', principalArn: role, effectiveSettings: true }),
    );
    await ecsClient.send(
      new PutAccountSettingCommand({ name: 'awsvpcTrunking', value: 'disabled', principalArn: role }),
    );
    const own = await ecsClient.send(
      new ListAccountSettingsCommand({ name: 'awsvpcTrunking', principalArn: role }),
    );

    expect(
      [before, defaulted, own].map((answer) => answer.settings?.map((setting) => setting.value)),
    ).toEqual([['disabled'], ['enabled'], ['disabled']]);
  });

  it('refuses an unknown setting and a value the setting does not take', async () => {
    const unknown = await errorOf(
      ecsClient.send(
        new PutAccountSettingDefaultCommand({ name: 'fastTasks' as 'awsvpcTrunking', value: 'enabled' }),
      ),
    );
    const badValue = await errorOf(
      ecsClient.send(new PutAccountSettingDefaultCommand({ name: 'awsvpcTrunking', value: 'on' })),
    );

    expect([unknown.name, badValue.name]).toEqual(['InvalidParameterException', 'InvalidParameterException']);
  });

  it('asks IAM for ecs:PutAccountSetting on *', async () => {
    const denied = new ECSClient(
      asRole(services, 'berth-no-settings', [
        { Effect: 'Allow', Action: 'ecs:ListAccountSettings', Resource: '*' },
      ]),
    );
    const allowed = new ECSClient(
      asRole(services, 'berth-settings', [
        { Effect: 'Allow', Action: 'ecs:PutAccountSetting', Resource: '*' },
      ]),
    );
    try {
      const refused = await errorOf(
        denied.send(new PutAccountSettingCommand({ name: 'awsvpcTrunking', value: 'enabled' })),
      );
      const put = await allowed.send(
        new PutAccountSettingCommand({ name: 'awsvpcTrunking', value: 'enabled' }),
      );

      expect(refused.name).toBe('AccessDeniedException');
      expect(put.setting).toEqual({
        name: 'awsvpcTrunking',
        value: 'enabled',
        principalArn: 'arn:aws:iam::000000000000:role/berth-settings',
        type: 'user',
      });
    } finally {
      denied.destroy();
      allowed.destroy();
    }
  });
});
