/**
 * IAM on the simulated EC2, through the SDK as a role: creates need berth's tag in the request and
 * the implicit ec2:CreateTags (with ec2:CreateAction), creates inside a VPC need the VPC's tag, deletes
 * need the resource's tag, Describe calls go on `*`. The statements are those of berth's step roles
 * (infra/functions/steps.js: createNetwork, createCluster, teardownPass), with this account's ARNs.
 */
import {
  AllocateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateNatGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DescribeVpcsCommand,
  EC2Client,
  type ResourceType,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import type { Statement } from '../src/iam/policy';
import { ec2 } from '../src/services/ec2';
import { arn, asRole, refusalOf } from './iam-session';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let operator: EC2Client;

beforeAll(async () => {
  services = await startServices([ec2]);
  operator = new EC2Client(services.clientConfig);
});

afterAll(async () => {
  operator.destroy();
  await services.running.close();
});

beforeEach(() => {
  services.running.sim.reset();
});

const BERTH_TAG = { Key: 'berth:managed-by', Value: 'berth' };

function tagged(type: ResourceType, tags = [BERTH_TAG]): TagSpecification[] {
  return [{ ResourceType: type, Tags: tags }];
}

const networkArns = [
  'vpc/*',
  'subnet/*',
  'internet-gateway/*',
  'route-table/*',
  'security-group/*',
  'security-group-rule/*',
  'elastic-ip/*',
  'natgateway/*',
].map((resource) => arn('ec2', resource));

const requestTagBerth = { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } };
const resourceTagBerth = { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } };

const networkCreates = [
  'CreateVpc',
  'CreateSubnet',
  'CreateInternetGateway',
  'CreateRouteTable',
  'CreateSecurityGroup',
  'AllocateAddress',
  'CreateNatGateway',
  'AuthorizeSecurityGroupIngress',
];

const networkRead: Statement = {
  Effect: 'Allow',
  Action: [
    'ec2:DescribeVpcs',
    'ec2:DescribeSubnets',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeNatGateways',
  ],
  Resource: '*',
};
const createWithTag: Statement = {
  Effect: 'Allow',
  Action: networkCreates.map((action) => `ec2:${action}`),
  Resource: networkArns,
  Condition: requestTagBerth,
};
const tagOnCreate: Statement = {
  Effect: 'Allow',
  Action: 'ec2:CreateTags',
  Resource: networkArns,
  Condition: { StringEquals: { 'ec2:CreateAction': networkCreates } },
};
const useTagged: Statement = {
  Effect: 'Allow',
  Action: [
    'ec2:CreateSubnet',
    'ec2:CreateRouteTable',
    'ec2:CreateSecurityGroup',
    'ec2:CreateNatGateway',
    'ec2:AuthorizeSecurityGroupIngress',
  ],
  Resource: networkArns,
  Condition: resourceTagBerth,
};

/** berth's createNetwork step, trimmed to the calls tested here. */
const createNetwork = [networkRead, createWithTag, tagOnCreate, useTagged];
/** The same without the grant to tag on create. */
const createNetworkWithoutTagging = [networkRead, createWithTag, useTagged];

const teardown: Statement[] = [
  {
    Effect: 'Allow',
    Action: ['ec2:DeleteSubnet', 'ec2:DeleteSecurityGroup', 'ec2:DeleteVpc'],
    Resource: networkArns,
    Condition: resourceTagBerth,
  },
];

function clientAs(roleName: string, statements: readonly Statement[]): EC2Client {
  return new EC2Client(asRole(services, roleName, statements));
}

/** A VPC made by the operator, with berth's tag unless told otherwise. */
async function vpc(tags = [BERTH_TAG]): Promise<string> {
  const answer = await operator.send(
    new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tagged('vpc', tags) }),
  );
  return answer.Vpc?.VpcId ?? '';
}

async function subnet(vpcId: string, tags = [BERTH_TAG]): Promise<string> {
  const answer = await operator.send(
    new CreateSubnetCommand({
      VpcId: vpcId,
      CidrBlock: '10.0.1.0/24',
      AvailabilityZone: 'us-east-1a',
      TagSpecifications: tagged('subnet', tags),
    }),
  );
  return answer.Subnet?.SubnetId ?? '';
}

function notAuthorized(action: string, resource: string): string {
  return `is not authorized to perform: ${action} on resource: ${resource}`;
}

it('gives every EC2 operation its own authorisation entry', () => {
  // Prepare
  const operations = Object.keys(ec2.operations);

  // Act
  const missing = operations.filter((operation) => ec2.authorize?.[operation] === undefined);

  // Assess
  expect(missing).toEqual([]);
});

it('creates a VPC carrying berth’s tag under berth’s createNetwork grants', async () => {
  // Prepare
  const client = clientAs('NetworkRole', createNetwork);

  // Act
  const answer = await client.send(
    new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: tagged('vpc') }),
  );

  // Assess
  expect(answer.Vpc?.VpcId).toMatch(/^vpc-/);
  client.destroy();
});

it('refuses a VPC without berth’s tag in the request, naming ec2:CreateVpc on vpc/*', async () => {
  // Prepare
  const client = clientAs('NetworkRole', createNetwork);

  // Act
  const refusal = await refusalOf(client.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' })));

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(notAuthorized('ec2:CreateVpc', arn('ec2', 'vpc/*')));
});

it('refuses a tagged VPC when the role may not tag on create, naming ec2:CreateTags', async () => {
  // Prepare
  const client = clientAs('NetworkNoTaggingRole', createNetworkWithoutTagging);

  // Act
  const refusal = await refusalOf(
    client.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: tagged('vpc') })),
  );

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(notAuthorized('ec2:CreateTags', arn('ec2', 'vpc/*')));
  // Only the account's default VPC (untagged) is left.
  expect(services.running.sim.inventory({ type: 'vpc' }).vpc?.map((vpc) => vpc.tags)).toEqual([{}]);
});

it('creates a tagged subnet in a VPC carrying berth’s tag', async () => {
  // Prepare
  const vpcId = await vpc();
  const client = clientAs('NetworkRole', createNetwork);

  // Act
  const answer = await client.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', TagSpecifications: tagged('subnet') }),
  );

  // Assess
  expect(answer.Subnet?.SubnetId).toMatch(/^subnet-/);
  client.destroy();
});

it('refuses a tagged subnet in a VPC without berth’s tag, naming the VPC', async () => {
  // Prepare
  const vpcId = await vpc([{ Key: 'team', Value: 'other' }]);
  const client = clientAs('NetworkRole', createNetwork);

  // Act
  const refusal = await refusalOf(
    client.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: '10.0.1.0/24',
        TagSpecifications: tagged('subnet'),
      }),
    ),
  );

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(notAuthorized('ec2:CreateSubnet', arn('ec2', `vpc/${vpcId}`)));
  client.destroy();
});

it('refuses a subnet without berth’s tag in the request, naming subnet/*', async () => {
  // Prepare
  const vpcId = await vpc();
  const client = clientAs('NetworkRole', createNetwork);

  // Act
  const refusal = await refusalOf(
    client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' })),
  );

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(notAuthorized('ec2:CreateSubnet', arn('ec2', 'subnet/*')));
  client.destroy();
});

it('refuses a tagged subnet when the role may not tag on create', async () => {
  // Prepare
  const vpcId = await vpc();
  const client = clientAs('NetworkNoTaggingRole', createNetworkWithoutTagging);

  // Act
  const refusal = await refusalOf(
    client.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: '10.0.1.0/24',
        TagSpecifications: tagged('subnet'),
      }),
    ),
  );

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(notAuthorized('ec2:CreateTags', arn('ec2', 'subnet/*')));
  client.destroy();
});

it('creates a tagged security group in berth’s VPC, and refuses one without the tag', async () => {
  // Prepare
  const vpcId = await vpc();
  const client = clientAs('NetworkRole', createNetwork);
  const group = (tags?: TagSpecification[]) =>
    new CreateSecurityGroupCommand({
      VpcId: vpcId,
      GroupName: tags ? 'berth-web' : 'untagged',
      Description: 'web',
      ...(tags ? { TagSpecifications: tags } : {}),
    });

  // Act
  const created = await client.send(group(tagged('security-group')));
  const refusal = await refusalOf(client.send(group()));

  // Assess
  expect(created.GroupId).toMatch(/^sg-/);
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(notAuthorized('ec2:CreateSecurityGroup', arn('ec2', 'security-group/*')));
  client.destroy();
});

it('refuses a tagged security group when the role may not tag on create', async () => {
  // Prepare
  const vpcId = await vpc();
  const client = clientAs('NetworkNoTaggingRole', createNetworkWithoutTagging);

  // Act
  const refusal = await refusalOf(
    client.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: 'berth-web',
        Description: 'web',
        TagSpecifications: tagged('security-group'),
      }),
    ),
  );

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(notAuthorized('ec2:CreateTags', arn('ec2', 'security-group/*')));
  client.destroy();
});

it('adds tagged ingress rules to berth’s group, tagging the new rules on create', async () => {
  // Prepare
  const vpcId = await vpc();
  const group = await operator.send(
    new CreateSecurityGroupCommand({
      VpcId: vpcId,
      GroupName: 'berth-web',
      Description: 'web',
      TagSpecifications: tagged('security-group'),
    }),
  );
  const client = clientAs('NetworkRole', createNetwork);

  // Act
  const answer = await client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: group.GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      TagSpecifications: tagged('security-group-rule'),
    }),
  );

  // Assess
  expect(answer.Return).toBe(true);
  client.destroy();
});

it('refuses ingress rules on a group without berth’s tag, naming the group', async () => {
  // Prepare
  const vpcId = await vpc();
  const group = await operator.send(
    new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'someone-else', Description: 'other' }),
  );
  const client = clientAs('NetworkRole', createNetwork);

  // Act
  const refusal = await refusalOf(
    client.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: group.GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        TagSpecifications: tagged('security-group-rule'),
      }),
    ),
  );

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(
    notAuthorized('ec2:AuthorizeSecurityGroupIngress', arn('ec2', `security-group/${group.GroupId}`)),
  );
  client.destroy();
});

it('allocates a tagged Elastic IP, and refuses one without the tag or without the grant to tag', async () => {
  // Prepare
  const client = clientAs('NetworkRole', createNetwork);
  const noTagging = clientAs('NetworkNoTaggingRole', createNetworkWithoutTagging);

  // Act
  const allocated = await client.send(
    new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagged('elastic-ip') }),
  );
  const untagged = await refusalOf(client.send(new AllocateAddressCommand({ Domain: 'vpc' })));
  const untaggable = await refusalOf(
    noTagging.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagged('elastic-ip') })),
  );

  // Assess
  expect(allocated.AllocationId).toMatch(/^eipalloc-/);
  expect(untagged.message).toContain(notAuthorized('ec2:AllocateAddress', arn('ec2', 'elastic-ip/*')));
  expect(untaggable.message).toContain(notAuthorized('ec2:CreateTags', arn('ec2', 'elastic-ip/*')));
  client.destroy();
  noTagging.destroy();
});

describe('CreateNatGateway', () => {
  async function natInputs(subnetTags = [BERTH_TAG]) {
    const vpcId = await vpc();
    const subnetId = await subnet(vpcId, subnetTags);
    const address = await operator.send(
      new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagged('elastic-ip') }),
    );
    return { SubnetId: subnetId, AllocationId: address.AllocationId, ConnectivityType: 'public' as const };
  }

  it('creates a tagged NAT gateway in berth’s subnet with berth’s address', async () => {
    // Prepare
    const inputs = await natInputs();
    const client = clientAs('NetworkRole', createNetwork);

    // Act
    const answer = await client.send(
      new CreateNatGatewayCommand({ ...inputs, TagSpecifications: tagged('natgateway') }),
    );

    // Assess
    expect(answer.NatGateway?.NatGatewayId).toMatch(/^nat-/);
    client.destroy();
  });

  it('refuses a NAT gateway without berth’s tag in the request', async () => {
    // Prepare
    const inputs = await natInputs();
    const client = clientAs('NetworkRole', createNetwork);

    // Act
    const refusal = await refusalOf(client.send(new CreateNatGatewayCommand(inputs)));

    // Assess
    expect(refusal.name).toBe('UnauthorizedOperation');
    expect(refusal.message).toContain(notAuthorized('ec2:CreateNatGateway', arn('ec2', 'natgateway/*')));
    client.destroy();
  });

  it('refuses a NAT gateway in a subnet without berth’s tag, naming the subnet', async () => {
    // Prepare
    const inputs = await natInputs([{ Key: 'team', Value: 'other' }]);
    const client = clientAs('NetworkRole', createNetwork);

    // Act
    const refusal = await refusalOf(
      client.send(new CreateNatGatewayCommand({ ...inputs, TagSpecifications: tagged('natgateway') })),
    );

    // Assess
    expect(refusal.message).toContain(
      notAuthorized('ec2:CreateNatGateway', arn('ec2', `subnet/${inputs.SubnetId}`)),
    );
    client.destroy();
  });

  it('refuses a tagged NAT gateway when the role may not tag on create', async () => {
    // Prepare
    const inputs = await natInputs();
    const client = clientAs('NetworkNoTaggingRole', createNetworkWithoutTagging);

    // Act
    const refusal = await refusalOf(
      client.send(new CreateNatGatewayCommand({ ...inputs, TagSpecifications: tagged('natgateway') })),
    );

    // Assess
    expect(refusal.message).toContain(notAuthorized('ec2:CreateTags', arn('ec2', 'natgateway/*')));
    client.destroy();
  });
});

describe('CreateLaunchTemplate', () => {
  const launchTemplates = arn('ec2', 'launch-template/*');
  const createTemplate: Statement = {
    Effect: 'Allow',
    Action: 'ec2:CreateLaunchTemplate',
    Resource: launchTemplates,
    Condition: requestTagBerth,
  };
  const tagTemplate: Statement = {
    Effect: 'Allow',
    Action: 'ec2:CreateTags',
    Resource: [launchTemplates, arn('ec2', 'instance/*'), arn('ec2', 'volume/*')],
    Condition: { StringEquals: { 'ec2:CreateAction': ['CreateLaunchTemplate', 'RunInstances'] } },
  };
  const template = (tags?: TagSpecification[]) =>
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'berth-dev-cluster',
      LaunchTemplateData: {
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.small',
        IamInstanceProfile: { Arn: 'arn:aws:iam::000000000000:instance-profile/berth-dev-ecs-instance' },
      },
      ...(tags ? { TagSpecifications: tags } : {}),
    });

  it('creates a tagged launch template under berth’s createCluster grants, passing no role yet', async () => {
    // Prepare
    const client = clientAs('ClusterRole', [createTemplate, tagTemplate]);

    // Act
    const answer = await client.send(template(tagged('launch-template')));

    // Assess
    expect(answer.LaunchTemplate?.LaunchTemplateId).toMatch(/^lt-/);
    client.destroy();
  });

  it('refuses a launch template without berth’s tag in the request', async () => {
    // Prepare
    const client = clientAs('ClusterRole', [createTemplate, tagTemplate]);

    // Act
    const refusal = await refusalOf(client.send(template()));

    // Assess
    expect(refusal.name).toBe('UnauthorizedOperation');
    expect(refusal.message).toContain(notAuthorized('ec2:CreateLaunchTemplate', launchTemplates));
    client.destroy();
  });

  it('refuses a tagged launch template when the role may not tag on create', async () => {
    // Prepare
    const client = clientAs('ClusterNoTaggingRole', [createTemplate]);

    // Act
    const refusal = await refusalOf(client.send(template(tagged('launch-template'))));

    // Assess
    expect(refusal.name).toBe('UnauthorizedOperation');
    expect(refusal.message).toContain(notAuthorized('ec2:CreateTags', launchTemplates));
    client.destroy();
  });
});

it('deletes a subnet carrying berth’s tag under berth’s teardown grants', async () => {
  // Prepare
  const subnetId = await subnet(await vpc());
  const client = clientAs('TeardownRole', teardown);

  // Act
  const answer = await client.send(new DeleteSubnetCommand({ SubnetId: subnetId }));

  // Assess
  expect(answer.$metadata.httpStatusCode).toBe(200);
  expect(services.running.sim.inventory({ type: 'subnet' })).toEqual({});
  client.destroy();
});

it('refuses to delete a subnet without berth’s tag, naming the subnet', async () => {
  // Prepare
  const subnetId = await subnet(await vpc(), [{ Key: 'team', Value: 'other' }]);
  const client = clientAs('TeardownRole', teardown);

  // Act
  const refusal = await refusalOf(client.send(new DeleteSubnetCommand({ SubnetId: subnetId })));

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.message).toContain(notAuthorized('ec2:DeleteSubnet', arn('ec2', `subnet/${subnetId}`)));
  expect(services.running.sim.inventory({ type: 'subnet' }).subnet).toHaveLength(1);
  client.destroy();
});

it('answers EC2’s NotFound for a delete of an id that does not exist, with nothing to evaluate', async () => {
  // Prepare
  const client = clientAs('TeardownRole', teardown);

  // Act
  const refusal = await refusalOf(
    client.send(new DeleteSubnetCommand({ SubnetId: 'subnet-0000000000000000f' })),
  );

  // Assess
  expect(refusal.name).toBe('InvalidSubnetID.NotFound');
  client.destroy();
});

it('lists VPCs with a grant on `*`, and refuses a Describe granted only on VPC ARNs', async () => {
  // Prepare
  await vpc();
  const reader = clientAs('ReaderRole', [networkRead]);
  const scoped = clientAs('ScopedReaderRole', [
    { Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: arn('ec2', 'vpc/*') },
  ]);

  // Act
  const listed = await reader.send(new DescribeVpcsCommand({}));
  const refusal = await refusalOf(scoped.send(new DescribeVpcsCommand({})));

  // Assess
  expect(listed.Vpcs?.filter((vpc) => !vpc.IsDefault)).toHaveLength(1);
  expect(refusal.message).toContain(notAuthorized('ec2:DescribeVpcs', '*'));
  reader.destroy();
  scoped.destroy();
});
