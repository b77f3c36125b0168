/**
 * IAM on the simulated Auto Scaling, through the SDK as a role: a group is created only with berth's
 * tag (its tags authorised as CreateOrUpdateTags), only when the caller may itself launch from the
 * launch template (ec2:RunInstances with ec2:LaunchTemplate, ec2:CreateTags for the template's tags,
 * iam:PassRole of the instance profile's role), and deleted only when it carries berth's tag. The
 * statements are those of berth's createCluster and teardownPass roles (infra/functions/steps.js).
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  type CreateAutoScalingGroupCommandInput,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { Statement } from '../src/iam/policy';
import { autoscaling } from '../src/services/autoscaling';
import { ec2 } from '../src/services/ec2';
import { ACCOUNT, arn, asRole, refusalOf, roleTemplate } from './iam-session';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let operator: EC2Client;
let operatorAsg: AutoScalingClient;
let launchTemplateId: string;
let subnetIds: string[];

const BERTH_TAG = { Key: 'berth:managed-by', Value: 'berth' };
const INSTANCE_ROLE = 'berth-test-ecs-instance';
const INSTANCE_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${INSTANCE_ROLE}`;

beforeAll(async () => {
  services = await startServices([ec2, autoscaling]);
  operator = new EC2Client(services.clientConfig);
  operatorAsg = new AutoScalingClient(services.clientConfig);
  // The container-instance role the launch template's instance profile (same name) holds.
  services.running.sim.loadTemplateRoles(roleTemplate(INSTANCE_ROLE, []));
});

afterAll(async () => {
  operator.destroy();
  operatorAsg.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  const tags = [{ ResourceType: 'vpc' as const, Tags: [BERTH_TAG] }];
  const vpc = await operator.send(
    new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tags }),
  );
  const vpcId = vpc.Vpc?.VpcId ?? '';
  subnetIds = [];
  for (const [cidr, zone] of [
    ['10.0.1.0/24', 'us-east-1a'],
    ['10.0.2.0/24', 'us-east-1b'],
  ] as const) {
    const subnet = await operator.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: cidr,
        AvailabilityZone: zone,
        TagSpecifications: [{ ResourceType: 'subnet', Tags: [BERTH_TAG] }],
      }),
    );
    subnetIds.push(subnet.Subnet?.SubnetId ?? '');
  }
  const group = await operator.send(
    new CreateSecurityGroupCommand({
      VpcId: vpcId,
      GroupName: 'berth-instances',
      Description: 'instances',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [BERTH_TAG] }],
    }),
  );
  const template = await operator.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'berth-dev-cluster',
      LaunchTemplateData: {
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.small',
        IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/${INSTANCE_ROLE}` },
        SecurityGroupIds: [group.GroupId ?? ''],
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [BERTH_TAG] },
          { ResourceType: 'volume', Tags: [BERTH_TAG] },
        ],
      },
      TagSpecifications: [{ ResourceType: 'launch-template', Tags: [BERTH_TAG] }],
    }),
  );
  launchTemplateId = template.LaunchTemplate?.LaunchTemplateId ?? '';
});

const launchTemplates = arn('ec2', 'launch-template/*');
const groupArns = arn('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/berth-*');
const requestTagBerth = { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } };

const runInstances: Statement = {
  Effect: 'Allow',
  Action: 'ec2:RunInstances',
  Resource: [
    'arn:aws:ec2:us-east-1::image/*',
    arn('ec2', 'instance/*'),
    arn('ec2', 'volume/*'),
    arn('ec2', 'network-interface/*'),
    arn('ec2', 'subnet/*'),
    arn('ec2', 'security-group/*'),
    arn('ec2', 'key-pair/*'),
    launchTemplates,
  ],
  Condition: { ArnLike: { 'ec2:LaunchTemplate': launchTemplates } },
};
const tagAtLaunch: Statement = {
  Effect: 'Allow',
  Action: 'ec2:CreateTags',
  Resource: [launchTemplates, arn('ec2', 'instance/*'), arn('ec2', 'volume/*')],
  Condition: { StringEquals: { 'ec2:CreateAction': ['CreateLaunchTemplate', 'RunInstances'] } },
};
const createGroup: Statement = {
  Effect: 'Allow',
  Action: 'autoscaling:CreateAutoScalingGroup',
  Resource: groupArns,
  Condition: requestTagBerth,
};
const tagGroup: Statement = {
  Effect: 'Allow',
  Action: 'autoscaling:CreateOrUpdateTags',
  Resource: groupArns,
  Condition: requestTagBerth,
};
const passInstanceRole: Statement = {
  Effect: 'Allow',
  Action: 'iam:PassRole',
  Resource: INSTANCE_ROLE_ARN,
  Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
};

/** berth's createCluster grants for the group, in a form each test can leave one out of. */
const createCluster = { runInstances, tagAtLaunch, createGroup, tagGroup, passInstanceRole };

function clusterRole(without?: keyof typeof createCluster): AutoScalingClient {
  const statements = Object.entries(createCluster)
    .filter(([name]) => name !== without)
    .map(([, statement]) => statement);
  return new AutoScalingClient(asRole(services, `Cluster${without ?? ''}Role`, statements));
}

function group(name = 'berth-dev-cluster', tags = [BERTH_TAG]): CreateAutoScalingGroupCommand {
  const input: CreateAutoScalingGroupCommandInput = {
    AutoScalingGroupName: name,
    LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
    MinSize: 0,
    MaxSize: 2,
    DesiredCapacity: 0,
    VPCZoneIdentifier: subnetIds.join(','),
    Tags: tags.map((tag) => ({
      ...tag,
      ResourceId: name,
      ResourceType: 'auto-scaling-group',
      PropagateAtLaunch: true,
    })),
  };
  return new CreateAutoScalingGroupCommand(input);
}

function notAuthorized(action: string, resource: string): string {
  return `is not authorized to perform: ${action} on resource: ${resource}`;
}

const newGroupArn = (name: string) => arn('autoscaling', `autoScalingGroup:*:autoScalingGroupName/${name}`);

it('gives every Auto Scaling operation its own authorisation entry', () => {
  // Prepare
  const operations = Object.keys(autoscaling.operations);

  // Act
  const missing = operations.filter((operation) => autoscaling.authorize?.[operation] === undefined);

  // Assess
  expect(missing).toEqual([]);
});

it('creates a tagged group from berth’s launch template under berth’s createCluster grants', async () => {
  // Prepare
  const client = clusterRole();

  // Act
  await client.send(group());

  // Assess
  const described = await operatorAsg.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['berth-dev-cluster'] }),
  );
  expect(described.AutoScalingGroups).toHaveLength(1);
  client.destroy();
});

it('refuses a group without berth’s tag, AccessDenied naming CreateAutoScalingGroup on the group', async () => {
  // Prepare
  const client = clusterRole();

  // Act
  const refusal = await refusalOf(client.send(group('berth-dev-cluster', [])));

  // Assess
  expect(refusal.name).toBe('AccessDenied');
  expect(refusal.$metadata?.httpStatusCode).toBe(403);
  expect(refusal.message).toContain(
    notAuthorized('autoscaling:CreateAutoScalingGroup', newGroupArn('berth-dev-cluster')),
  );
  client.destroy();
});

it('refuses a group whose name is outside berth’s prefix, since the name is in the group ARN', async () => {
  // Prepare
  const client = clusterRole();

  // Act
  const refusal = await refusalOf(client.send(group('other-cluster')));

  // Assess
  expect(refusal.message).toContain(
    notAuthorized('autoscaling:CreateAutoScalingGroup', newGroupArn('other-cluster')),
  );
  client.destroy();
});

it('refuses a tagged group when the role may not tag groups, naming CreateOrUpdateTags', async () => {
  // Prepare
  const client = clusterRole('tagGroup');

  // Act
  const refusal = await refusalOf(client.send(group()));

  // Assess
  expect(refusal.name).toBe('AccessDenied');
  expect(refusal.message).toContain(
    notAuthorized('autoscaling:CreateOrUpdateTags', newGroupArn('berth-dev-cluster')),
  );
  client.destroy();
});

it('refuses a group when the caller may not launch from the template, naming ec2:RunInstances', async () => {
  // Prepare
  const client = clusterRole('runInstances');

  // Act
  const refusal = await refusalOf(client.send(group()));

  // Assess
  expect(refusal.name).toBe('AccessDenied');
  expect(refusal.message).toContain(
    notAuthorized('ec2:RunInstances', arn('ec2', `launch-template/${launchTemplateId}`)),
  );
  client.destroy();
});

it('refuses a group when the caller may not tag what the template launches, naming ec2:CreateTags', async () => {
  // Prepare
  const client = clusterRole('tagAtLaunch');

  // Act
  const refusal = await refusalOf(client.send(group()));

  // Assess
  expect(refusal.name).toBe('AccessDenied');
  expect(refusal.message).toContain(notAuthorized('ec2:CreateTags', arn('ec2', 'instance/*')));
  client.destroy();
});

it('refuses a group when the caller may not pass the instance profile’s role, naming iam:PassRole', async () => {
  // Prepare
  const client = clusterRole('passInstanceRole');

  // Act
  const refusal = await refusalOf(client.send(group()));

  // Assess
  expect(refusal.name).toBe('AccessDenied');
  expect(refusal.message).toContain(notAuthorized('iam:PassRole', INSTANCE_ROLE_ARN));
  client.destroy();
});

describe('DeleteAutoScalingGroup', () => {
  const teardown: Statement[] = [
    {
      Effect: 'Allow',
      Action: 'autoscaling:DeleteAutoScalingGroup',
      Resource: groupArns,
      Condition: { StringEquals: { 'autoscaling:ResourceTag/berth:managed-by': 'berth' } },
    },
  ];

  it('deletes a group carrying berth’s tag under berth’s teardown grants', async () => {
    // Prepare
    await operatorAsg.send(group());
    const client = new AutoScalingClient(asRole(services, 'TeardownRole', teardown));

    // Act
    const answer = await client.send(
      new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-cluster', ForceDelete: true }),
    );

    // Assess
    expect(answer.$metadata.httpStatusCode).toBe(200);
    client.destroy();
  });

  it('refuses to delete a group without berth’s tag, naming the group’s ARN', async () => {
    // Prepare
    await operatorAsg.send(group('berth-dev-cluster', [{ Key: 'team', Value: 'other' }]));
    const described = await operatorAsg.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['berth-dev-cluster'] }),
    );
    const client = new AutoScalingClient(asRole(services, 'TeardownRole', teardown));

    // Act
    const refusal = await refusalOf(
      client.send(
        new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-cluster', ForceDelete: true }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain(
      notAuthorized(
        'autoscaling:DeleteAutoScalingGroup',
        described.AutoScalingGroups?.[0]?.AutoScalingGroupARN ?? '?',
      ),
    );
    client.destroy();
  });
});

describe('UpdateAutoScalingGroup', () => {
  const update: Statement = {
    Effect: 'Allow',
    Action: 'autoscaling:UpdateAutoScalingGroup',
    Resource: groupArns,
    Condition: { StringEquals: { 'autoscaling:ResourceTag/berth:managed-by': 'berth' } },
  };

  it('resizes a group carrying berth’s tag with no launch checks when the update names no template', async () => {
    // Prepare
    await operatorAsg.send(group());
    const client = new AutoScalingClient(asRole(services, 'ResizeRole', [update]));

    // Act
    const answer = await client.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'berth-dev-cluster', MaxSize: 3 }),
    );

    // Assess
    expect(answer.$metadata.httpStatusCode).toBe(200);
    client.destroy();
  });

  it('refuses an update naming a template the caller may not launch from, naming ec2:RunInstances', async () => {
    // Prepare
    await operatorAsg.send(group());
    const client = new AutoScalingClient(asRole(services, 'ResizeRole', [update]));

    // Act
    const refusal = await refusalOf(
      client.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: 'berth-dev-cluster',
          LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
        }),
      ),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain(
      notAuthorized('ec2:RunInstances', arn('ec2', `launch-template/${launchTemplateId}`)),
    );
    client.destroy();
  });
});

it('lists groups with a grant on `*`, and refuses a Describe granted only on group ARNs', async () => {
  // Prepare
  await operatorAsg.send(group());
  const reader = new AutoScalingClient(
    asRole(services, 'GroupReaderRole', [
      { Effect: 'Allow', Action: 'autoscaling:DescribeAutoScalingGroups', Resource: '*' },
    ]),
  );
  const scoped = new AutoScalingClient(
    asRole(services, 'ScopedGroupReaderRole', [
      { Effect: 'Allow', Action: 'autoscaling:DescribeAutoScalingGroups', Resource: groupArns },
    ]),
  );

  // Act
  const listed = await reader.send(new DescribeAutoScalingGroupsCommand({}));
  const refusal = await refusalOf(scoped.send(new DescribeAutoScalingGroupsCommand({})));

  // Assess
  expect(listed.AutoScalingGroups).toHaveLength(1);
  expect(refusal.message).toContain(notAuthorized('autoscaling:DescribeAutoScalingGroups', '*'));
  reader.destroy();
  scoped.destroy();
});
