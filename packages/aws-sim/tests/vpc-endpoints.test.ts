/**
 * VPC endpoints (CreateVpcEndpoint / DescribeVpcEndpoints / DeleteVpcEndpoints) and what a Fargate
 * task without a NAT gateway reaches through them at start: a task whose subnet has no way out stops
 * with ECS's timeout wording unless the endpoints it needs (ECR API and registry, S3 gateway, Logs,
 * Secrets Manager / SSM) are available and let it in on 443
 * (docs/aws-facts.md#vpc-endpoints-and-task-egress-without-nat).
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  type CreateVpcEndpointCommandInput,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DeleteVpcEndpointsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  type ContainerDefinition,
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { ec2 } from '../src/services/ec2';
import { ec2Authorization } from '../src/services/ec2/authorization';
import { ecs } from '../src/services/ecs';
import { asRole } from './iam-session';
import { createNetwork, eventually, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices, waitAwsSeconds } from './simulated-services';

let services: SimulatedServices;
let ec2Client: EC2Client;
let ecsClient: ECSClient;
let network: TestNetwork;
let mainRouteTableId: string;

const REGION = 'us-east-1';
const ECR_IMAGE = `000000000000.dkr.ecr.${REGION}.amazonaws.com/shop/web:v1`;
const SECRET = `arn:aws:secretsmanager:${REGION}:000000000000:secret:shop/db-AbCdEf`;
const service = (name: string) => `com.amazonaws.${REGION}.${name}`;

beforeAll(async () => {
  services = await startServices([ec2, ecs]);
  ec2Client = new EC2Client(services.clientConfig);
  ecsClient = new ECSClient(services.clientConfig);
});

afterAll(async () => {
  ec2Client.destroy();
  ecsClient.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  network = await createNetwork(services);
  // createNetwork switches the egress check off for other suites; these tests are about it.
  await setEgress(true);
  for (const attribute of ['EnableDnsSupport', 'EnableDnsHostnames'] as const) {
    await ec2Client.send(
      new ModifyVpcAttributeCommand({ VpcId: network.vpcId, [attribute]: { Value: true } }),
    );
  }
  const tables = await ec2Client.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [network.vpcId] }] }),
  );
  mainRouteTableId = tables.RouteTables?.[0]?.RouteTableId ?? '';
  await ecsClient.send(new CreateClusterCommand({ clusterName: 'shop', capacityProviders: ['FARGATE'] }));
});

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected an error');
    },
    (error: { name: string; message: string }) => error,
  );

async function setEgress(enforce: boolean): Promise<void> {
  const response = await fetch(`${services.running.url}/_local/egress`, {
    method: 'PUT',
    body: JSON.stringify({ enforce }),
  });
  if (response.status !== 200) throw new Error(`PUT /_local/egress answered ${response.status}`);
}

async function interfaceEndpoint(
  name: string,
  extra: Partial<CreateVpcEndpointCommandInput> = {},
): Promise<VpcEndpoint> {
  const created = await ec2Client.send(
    new CreateVpcEndpointCommand({
      VpcId: network.vpcId,
      ServiceName: service(name),
      VpcEndpointType: 'Interface',
      SubnetIds: network.subnetIds,
      SecurityGroupIds: [network.securityGroupId],
      PrivateDnsEnabled: true,
      ...extra,
    }),
  );
  return created.VpcEndpoint ?? {};
}

async function s3Gateway(): Promise<VpcEndpoint> {
  const created = await ec2Client.send(
    new CreateVpcEndpointCommand({
      VpcId: network.vpcId,
      ServiceName: service('s3'),
      VpcEndpointType: 'Gateway',
      RouteTableIds: [mainRouteTableId],
    }),
  );
  return created.VpcEndpoint ?? {};
}

async function describe_(ids: string[]): Promise<VpcEndpoint[]> {
  return (await ec2Client.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ids }))).VpcEndpoints ?? [];
}

function available(ids: string[]): Promise<VpcEndpoint[]> {
  return eventually(async () => {
    const endpoints = await describe_(ids);
    return endpoints.every((endpoint) => String(endpoint.State) === 'available') ? endpoints : undefined;
  });
}

/** The fixture's group admits HTTPS from its own members (the tasks here share it). */
async function allowHttpsFromGroup(groupId: string, from: string): Promise<void> {
  await ec2Client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: from }] },
      ],
    }),
  );
}

/** Every endpoint a task with an ECR image, awslogs and a Secrets Manager secret needs, available. */
async function everyEndpoint(): Promise<void> {
  await allowHttpsFromGroup(network.securityGroupId, network.securityGroupId);
  const ids = [
    (await interfaceEndpoint('ecr.api')).VpcEndpointId ?? '',
    (await interfaceEndpoint('ecr.dkr')).VpcEndpointId ?? '',
    (await interfaceEndpoint('logs')).VpcEndpointId ?? '',
    (await interfaceEndpoint('secretsmanager')).VpcEndpointId ?? '',
    (await s3Gateway()).VpcEndpointId ?? '',
  ];
  await available(ids);
}

/** Registers a one-container Fargate task definition and runs it in the fixture's subnets. */
async function runTask(container: Partial<ContainerDefinition> = {}): Promise<string> {
  const registered = await ecsClient.send(
    new RegisterTaskDefinitionCommand({
      family: 'shop-web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      // A role the simulator does not know: its permissions are not judged, only the network.
      executionRoleArn: 'arn:aws:iam::000000000000:role/shop-execution',
      containerDefinitions: [
        {
          name: 'web',
          image: ECR_IMAGE,
          essential: true,
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': '/berth/shop',
              'awslogs-region': REGION,
              'awslogs-stream-prefix': 'web',
            },
          },
          ...container,
        },
      ],
    }),
  );
  const run = await ecsClient.send(
    new RunTaskCommand({
      cluster: 'shop',
      taskDefinition: registered.taskDefinition?.taskDefinitionArn ?? '',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: network.subnetIds, securityGroups: [network.securityGroupId] },
      },
    }),
  );
  return run.tasks?.[0]?.taskArn ?? '';
}

/** The task once it has stopped (a standalone task that starts stops when its container exits). */
function stopped(taskArn: string): Promise<Task> {
  return eventually(async () => {
    const described = await ecsClient.send(new DescribeTasksCommand({ cluster: 'shop', tasks: [taskArn] }));
    const task = described.tasks?.[0];
    return task?.lastStatus === 'STOPPED' ? task : undefined;
  });
}

describe('CreateVpcEndpoint and DescribeVpcEndpoints', () => {
  it('makes an Interface endpoint pending, then available, with an ENI per subnet and its tags', async () => {
    // Prepare
    const tags = [{ Key: 'berth:environment', Value: 'env-1' }];

    // Act
    const created = await interfaceEndpoint('ecr.api', {
      TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: tags }],
    });
    const [settled] = await available([created.VpcEndpointId ?? '']);
    const enis = await ec2Client.send(
      new DescribeNetworkInterfacesCommand({
        NetworkInterfaceIds: settled?.NetworkInterfaceIds ?? [],
      }),
    );

    // Assess
    expect(String(created.State)).toBe('pending');
    expect(created.VpcEndpointId).toMatch(/^vpce-[0-9a-f]{17}$/);
    expect(settled?.PrivateDnsEnabled).toBe(true);
    expect(settled?.Tags).toEqual(tags);
    expect(settled?.DnsEntries?.map((entry) => entry.DnsName)).toContain(`api.ecr.${REGION}.amazonaws.com`);
    expect(enis.NetworkInterfaces?.map((eni) => eni.SubnetId).sort()).toEqual([...network.subnetIds].sort());
    expect(enis.NetworkInterfaces?.every((eni) => eni.InterfaceType === 'vpc_endpoint')).toBe(true);
  });

  it('makes a Gateway endpoint available at once, on the route tables named', async () => {
    // Act
    const created = await s3Gateway();

    // Assess
    expect(String(created.State)).toBe('available');
    expect(created.RouteTableIds).toEqual([mainRouteTableId]);
    expect(created.NetworkInterfaceIds ?? []).toEqual([]);
  });

  it('filters by tag, VPC and service name', async () => {
    // Prepare
    const tagged = await interfaceEndpoint('logs', {
      TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'team', Value: 'shop' }] }],
    });
    await s3Gateway();

    // Act
    const byTag = await ec2Client.send(
      new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'tag:team', Values: ['shop'] }] }),
    );
    const byService = await ec2Client.send(
      new DescribeVpcEndpointsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [network.vpcId] },
          { Name: 'service-name', Values: [service('s3')] },
        ],
      }),
    );

    // Assess
    expect(byTag.VpcEndpoints?.map((endpoint) => endpoint.VpcEndpointId)).toEqual([tagged.VpcEndpointId]);
    expect(byService.VpcEndpoints?.map((endpoint) => endpoint.VpcEndpointType)).toEqual(['Gateway']);
  });

  it('answers the same endpoint for a repeated ClientToken, and refuses it with other parameters', async () => {
    // Prepare
    const first = await interfaceEndpoint('ecr.dkr', { ClientToken: 'token-1' });

    // Act
    const again = await interfaceEndpoint('ecr.dkr', { ClientToken: 'token-1' });
    const different = await errorOf(interfaceEndpoint('ecr.api', { ClientToken: 'token-1' }));

    // Assess
    expect(again.VpcEndpointId).toBe(first.VpcEndpointId);
    expect(different.name).toBe('IdempotentParameterMismatch');
  });

  it('refuses what AWS refuses, with its codes', async () => {
    // Act
    const unknownService = await errorOf(interfaceEndpoint('route53'));
    const unknownVpc = await errorOf(interfaceEndpoint('ecr.api', { VpcId: 'vpc-0123456789abcdef0' }));
    const tablesOnInterface = await errorOf(
      interfaceEndpoint('ecr.api', { RouteTableIds: [mainRouteTableId] }),
    );
    await s3Gateway();
    const secondGateway = await errorOf(s3Gateway());
    const missing = await errorOf(describe_(['vpce-0123456789abcdef0']));

    // Assess
    expect(unknownService.name).toBe('InvalidServiceName');
    expect(unknownService.message).toBe(`The Vpc Endpoint Service '${service('route53')}' does not exist`);
    expect(unknownVpc.name).toBe('InvalidVpcID.NotFound');
    expect(tablesOnInterface.name).toBe('InvalidParameter');
    expect(secondGateway.name).toBe('RouteAlreadyExists');
    expect(missing.name).toBe('InvalidVpcEndpointId.NotFound');
  });

  it('refuses private DNS in a VPC without DNS hostnames', async () => {
    // Prepare
    await ec2Client.send(
      new ModifyVpcAttributeCommand({ VpcId: network.vpcId, EnableDnsHostnames: { Value: false } }),
    );

    // Act
    const refused = await errorOf(interfaceEndpoint('logs'));

    // Assess
    expect(refused.name).toBe('InvalidParameter');
    expect(refused.message).toContain('enableDnsSupport and enableDnsHostnames');
  });
});

describe('DeleteVpcEndpoints', () => {
  it('answers unknown ids as unsuccessful items and deletes the others', async () => {
    // Prepare
    const endpoint = await s3Gateway();

    // Act
    const answer = await ec2Client.send(
      new DeleteVpcEndpointsCommand({
        VpcEndpointIds: [endpoint.VpcEndpointId ?? '', 'vpce-0123456789abcdef0'],
      }),
    );
    const [deleting] = await describe_([endpoint.VpcEndpointId ?? '']);

    // Assess
    expect(answer.Unsuccessful).toEqual([
      {
        Error: {
          Code: 'InvalidVpcEndpoint.NotFound',
          Message: "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist",
        },
        ResourceId: 'vpce-0123456789abcdef0',
      },
    ]);
    // `deleting` for 20–60 AWS seconds (tens of milliseconds here), then `deleted`.
    expect(['deleting', 'deleted']).toContain(String(deleting?.State));
  });

  it('keeps the subnets, the security group and the VPC busy until the endpoints are gone', async () => {
    // Prepare
    const group = await ec2Client.send(
      new CreateSecurityGroupCommand({
        VpcId: network.vpcId,
        GroupName: 'endpoints',
        Description: 'endpoints',
      }),
    );
    // Past the group's read-after-create window (1–3 AWS seconds), which this test is not about.
    await waitAwsSeconds(5);
    const endpoint = await interfaceEndpoint('ecr.api', { SecurityGroupIds: [group.GroupId ?? ''] });
    const gateway = await s3Gateway();

    // Act
    const subnetBusy = await errorOf(
      ec2Client.send(new DeleteSubnetCommand({ SubnetId: network.subnetIds[0] })),
    );
    const groupBusy = await errorOf(
      ec2Client.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId })),
    );
    const vpcBusy = await errorOf(ec2Client.send(new DeleteVpcCommand({ VpcId: network.vpcId })));
    await ec2Client.send(
      new DeleteVpcEndpointsCommand({
        VpcEndpointIds: [endpoint.VpcEndpointId ?? '', gateway.VpcEndpointId ?? ''],
      }),
    );
    await eventually(async () => {
      const left = await ec2Client.send(
        new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-endpoint-state', Values: ['deleted'] }] }),
      );
      return left.VpcEndpoints?.length === 2 ? true : undefined;
    });
    await ec2Client.send(new DeleteSubnetCommand({ SubnetId: network.subnetIds[0] }));
    await ec2Client.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId }));

    // Assess
    expect(subnetBusy.name).toBe('DependencyViolation');
    expect(groupBusy.name).toBe('DependencyViolation');
    expect(vpcBusy.name).toBe('DependencyViolation');
  });
});

describe('IAM requests of CreateVpcEndpoint', () => {
  it('asks for the endpoint with its tags, the VPC, subnets, groups and route tables, and CreateTags', async () => {
    // Prepare
    const input = {
      VpcId: network.vpcId,
      ServiceName: service('logs'),
      SubnetId: [network.subnetIds[0]],
      SecurityGroupId: [network.securityGroupId],
      TagSpecification: [
        { ResourceType: 'vpc-endpoint', Tag: [{ Key: 'berth:managed-by', Value: 'berth' }] },
      ],
    };

    // Act
    const requests = ec2Authorization.CreateVpcEndpoint?.(input, services.running.sim.ctx) ?? [];

    // Assess
    const arn = (resource: string) => `arn:aws:ec2:${REGION}:000000000000:${resource}`;
    expect(requests.map((request) => [request.action, request.resource])).toEqual([
      ['ec2:CreateVpcEndpoint', arn('vpc-endpoint/*')],
      ['ec2:CreateVpcEndpoint', arn(`vpc/${network.vpcId}`)],
      ['ec2:CreateVpcEndpoint', arn(`subnet/${network.subnetIds[0]}`)],
      ['ec2:CreateVpcEndpoint', arn(`security-group/${network.securityGroupId}`)],
      ['ec2:CreateTags', arn('vpc-endpoint/*')],
    ]);
    expect(requests[0]?.context?.['aws:RequestTag/berth:managed-by']).toBe('berth');
    expect(requests[0]?.context?.['ec2:VpceServiceName']).toBe(service('logs'));
    expect(requests[4]?.context?.['ec2:CreateAction']).toBe('CreateVpcEndpoint');
  });
});

describe('IAM on CreateVpcEndpoint', () => {
  /** A role that may create endpoints to AWS's own services (`ec2:VpceServiceName`) in the fixture's VPC. */
  const endpointsOfAws = [
    {
      Effect: 'Allow' as const,
      Action: 'ec2:CreateVpcEndpoint',
      Resource: `arn:aws:ec2:${REGION}:000000000000:vpc-endpoint/*`,
      Condition: { StringLike: { 'ec2:VpceServiceName': `com.amazonaws.${REGION}.s3` } },
    },
    {
      Effect: 'Allow' as const,
      Action: 'ec2:CreateVpcEndpoint',
      Resource: [
        `arn:aws:ec2:${REGION}:000000000000:vpc/*`,
        `arn:aws:ec2:${REGION}:000000000000:route-table/*`,
      ],
    },
  ];

  it('creates an endpoint to the service the condition names, and refuses another', async () => {
    // Prepare
    services.running.sim.iam.enforce = true;
    const client = new EC2Client(asRole(services, 'EndpointsRole', endpointsOfAws));
    const gateway = (name: string) =>
      client.send(
        new CreateVpcEndpointCommand({
          VpcId: network.vpcId,
          ServiceName: service(name),
          VpcEndpointType: 'Gateway',
          RouteTableIds: [mainRouteTableId],
        }),
      );

    // Act
    const allowed = await gateway('s3');
    const refused = await errorOf(gateway('dynamodb'));
    client.destroy();

    // Assess
    expect(allowed.VpcEndpoint?.VpcEndpointId).toMatch(/^vpce-/);
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.message).toContain('ec2:CreateVpcEndpoint');
  });
});

describe('a Fargate task without a NAT gateway', () => {
  it('stops without registry auth when there is no ECR API endpoint', async () => {
    // Act
    const task = await stopped(await runTask());

    // Assess
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toMatch(
      /^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time\(s\): RequestError: send request failed caused by: Post "https:\/\/api\.ecr\.us-east-1\.amazonaws\.com\/": dial tcp [\d.]+:443: i\/o timeout$/,
    );
  });

  it('cannot pull the image without the registry endpoint, nor its layers without the S3 gateway', async () => {
    // Prepare
    await allowHttpsFromGroup(network.securityGroupId, network.securityGroupId);
    await available([(await interfaceEndpoint('ecr.api')).VpcEndpointId ?? '']);

    // Act
    const noRegistry = await stopped(await runTask());
    await available([(await interfaceEndpoint('ecr.dkr')).VpcEndpointId ?? '']);
    const noLayers = await stopped(await runTask());

    // Assess
    expect(noRegistry.stoppedReason).toMatch(
      new RegExp(
        `^CannotPullContainerError: pull image manifest has been retried 5 time\\(s\\): failed to resolve ref ${ECR_IMAGE.replace(/\./g, '\\.')}: failed to do request: Head "https://000000000000\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/v2/shop/web/manifests/v1": dial tcp [\\d.]+:443: i/o timeout$`,
      ),
    );
    expect(noLayers.stoppedReason).toMatch(
      /^CannotPullContainerError: ref pull has been retried 5 time\(s\): failed to copy: httpReadSeeker: failed open:.*starport-layer-bucket.*i\/o timeout$/,
    );
  });

  it('cannot create its log stream without the Logs endpoint', async () => {
    // Prepare
    await allowHttpsFromGroup(network.securityGroupId, network.securityGroupId);
    await available([
      (await interfaceEndpoint('ecr.api')).VpcEndpointId ?? '',
      (await interfaceEndpoint('ecr.dkr')).VpcEndpointId ?? '',
      (await s3Gateway()).VpcEndpointId ?? '',
    ]);

    // Act
    const task = await stopped(await runTask());

    // Assess
    expect(task.stoppedReason).toMatch(
      /^ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "https:\/\/logs\.us-east-1\.amazonaws\.com\/": dial tcp [\d.]+:443: i\/o timeout : exit status 1$/,
    );
  });

  it('starts with every endpoint it needs available and open to it on 443', async () => {
    // Prepare
    await everyEndpoint();

    // Act
    const task = await stopped(await runTask({ secrets: [{ name: 'DB', valueFrom: SECRET }] }));

    // Assess
    expect(task.startedAt).toBeDefined();
    expect(task.stopCode).toBe('EssentialContainerExited');
  });

  it('cannot read a secret without the Secrets Manager endpoint', async () => {
    // Prepare
    await allowHttpsFromGroup(network.securityGroupId, network.securityGroupId);
    await available([
      (await interfaceEndpoint('ecr.api')).VpcEndpointId ?? '',
      (await interfaceEndpoint('ecr.dkr')).VpcEndpointId ?? '',
      (await interfaceEndpoint('logs')).VpcEndpointId ?? '',
      (await s3Gateway()).VpcEndpointId ?? '',
    ]);

    // Act
    const task = await stopped(await runTask({ secrets: [{ name: 'DB', valueFrom: SECRET }] }));

    // Assess
    expect(task.stoppedReason).toBe(
      'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadline exceeded',
    );
  });

  it('reaches no endpoint whose security group does not admit it on 443', async () => {
    // Prepare: the endpoints' group admits nobody.
    const closed = await ec2Client.send(
      new CreateSecurityGroupCommand({ VpcId: network.vpcId, GroupName: 'closed', Description: 'closed' }),
    );
    await waitAwsSeconds(5);
    await available([
      (await interfaceEndpoint('ecr.api', { SecurityGroupIds: [closed.GroupId ?? ''] })).VpcEndpointId ?? '',
    ]);

    // Act
    const task = await stopped(await runTask());

    // Assess
    expect(task.stoppedReason).toContain('unable to retrieve ecr registry auth');
  });

  it('cannot pull a Docker Hub image even with every endpoint', async () => {
    // Prepare
    await everyEndpoint();

    // Act
    const task = await stopped(await runTask({ image: 'nginx:1.27' }));

    // Assess
    expect(task.stoppedReason).toMatch(
      /^CannotPullContainerError: pull image manifest has been retried 5 time\(s\): failed to resolve ref docker\.io\/library\/nginx:1\.27: failed to do request: Head "https:\/\/registry-1\.docker\.io\/v2\/library\/nginx\/manifests\/1\.27": dial tcp [\d.]+:443: i\/o timeout$/,
    );
  });

  it('starts anything while the egress check is switched off', async () => {
    // Prepare
    await setEgress(false);
    const state = await (await fetch(`${services.running.url}/_local/egress`)).json();

    // Act
    const task = await stopped(await runTask({ image: 'nginx:1.27' }));

    // Assess
    expect(state).toEqual({ enforce: false });
    expect(task.startedAt).toBeDefined();
  });
});

describe('a Fargate task behind a NAT gateway', () => {
  it('pulls a Docker Hub image and ships its logs without any endpoint', async () => {
    // Prepare
    services.running.sim.reset();
    network = await createNetwork(services, { egress: true });
    await ecsClient.send(new CreateClusterCommand({ clusterName: 'shop', capacityProviders: ['FARGATE'] }));

    // Act
    const task = await stopped(await runTask({ image: 'nginx:1.27' }));

    // Assess
    expect(task.startedAt).toBeDefined();
    expect(task.stopCode).toBe('EssentialContainerExited');
  });
});
