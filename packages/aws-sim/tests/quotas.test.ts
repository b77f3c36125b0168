/**
 * Account quotas: the Service Quotas API answers AWS's defaults and the values the control API sets,
 * and the simulated EC2 and ELBv2 refuse a create past a quota with AWS's own error code, counting
 * the account's default VPC (and its internet gateway) as AWS does.
 */
import {
  AllocateAddressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ListServiceQuotasCommand,
  RequestServiceQuotaIncreaseCommand,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { startSimulator } from '../src/server';
import { ec2 as ec2Service } from '../src/services/ec2';
import { ecs as ecsService } from '../src/services/ecs';
import { elbv2 as elbv2Service } from '../src/services/elbv2';
import { serviceQuotas } from '../src/services/service-quotas';
import { arn, asRole } from './iam-session';
import { type SimulatedServices, startServices, waitAwsSeconds } from './simulated-services';

let services: SimulatedServices;
let ec2: EC2Client;
let elbv2: ElasticLoadBalancingV2Client;
let quotas: ServiceQuotasClient;
let ecs: ECSClient;

beforeAll(async () => {
  services = await startServices([ec2Service, elbv2Service, ecsService, serviceQuotas]);
  ecs = new ECSClient(services.clientConfig);
  ec2 = new EC2Client(services.clientConfig);
  elbv2 = new ElasticLoadBalancingV2Client(services.clientConfig);
  quotas = new ServiceQuotasClient(services.clientConfig);
});

beforeEach(async () => {
  await control('POST', '/_local/reset');
});

afterAll(async () => {
  ec2.destroy();
  elbv2.destroy();
  quotas.destroy();
  ecs.destroy();
  await services.running.close();
});

async function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${services.running.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

async function refusal(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const failure = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: failure.name, message: failure.message, status: failure.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded');
}

/**
 * A VPC with an attached internet gateway and subnets in us-east-1a, us-east-1b and us-east-1a again,
 * made here rather than by the shared fixture so that nothing else in it counts against a quota.
 */
async function network(): Promise<{ vpcId: string; subnetIds: [string, string, string] }> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId ?? '';
  await waitAwsSeconds(5);
  const gateway = await ec2.send(new CreateInternetGatewayCommand({}));
  await waitAwsSeconds(5);
  await ec2.send(
    new AttachInternetGatewayCommand({
      VpcId: vpcId,
      InternetGatewayId: gateway.InternetGateway?.InternetGatewayId,
    }),
  );
  const subnet = async (cidr: string, zone: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone })))
      .Subnet?.SubnetId ?? '';
  const subnetIds: [string, string, string] = [
    await subnet('10.0.1.0/24', 'us-east-1a'),
    await subnet('10.0.2.0/24', 'us-east-1b'),
    await subnet('10.0.3.0/24', 'us-east-1a'),
  ];
  await waitAwsSeconds(5);
  return { vpcId, subnetIds };
}

const createVpc = (index: number) => ec2.send(new CreateVpcCommand({ CidrBlock: `10.${index}.0.0/16` }));

describe('Service Quotas API', () => {
  it("answers the account's applied value with its ARN, and AWS's default apart", async () => {
    // Prepare
    await control('PUT', '/_local/quotas', { quotas: { 'vpc/L-F678F1CE': 12 } });

    // Act
    const applied = await quotas.send(
      new GetServiceQuotaCommand({ ServiceCode: 'vpc', QuotaCode: 'L-F678F1CE' }),
    );
    const byDefault = await quotas.send(
      new GetAWSDefaultServiceQuotaCommand({ ServiceCode: 'vpc', QuotaCode: 'L-F678F1CE' }),
    );

    // Assess
    expect(applied.Quota).toMatchObject({
      QuotaName: 'VPCs per Region',
      Value: 12,
      Adjustable: true,
      QuotaArn: 'arn:aws:servicequotas:us-east-1:000000000000:vpc/L-F678F1CE',
    });
    expect(byDefault.Quota).toMatchObject({
      Value: 5,
      QuotaArn: 'arn:aws:servicequotas:us-east-1::vpc/L-F678F1CE',
    });
  });

  it("lists a service's quotas with AWS's codes", async () => {
    // Act
    const listed = await quotas.send(new ListServiceQuotasCommand({ ServiceCode: 'elasticloadbalancing' }));

    // Assess
    expect(Object.fromEntries((listed.Quotas ?? []).map((quota) => [quota.QuotaCode, quota.Value]))).toEqual({
      'L-53DA6B97': 50,
      'L-B22855CB': 3000,
      'L-B6DF7632': 50,
      'L-7EED9B64': 100,
    });
  });

  it('answers NoSuchResourceException for an unknown quota or service', async () => {
    // Act
    const unknownQuota = await refusal(
      quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'vpc', QuotaCode: 'L-00000000' })),
    );
    const unknownService = await refusal(
      quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'nothing', QuotaCode: 'L-F678F1CE' })),
    );

    // Assess
    expect(unknownQuota.name).toBe('NoSuchResourceException');
    expect(unknownService.name).toBe('NoSuchResourceException');
  });

  it('records an increase request as PENDING and leaves the value alone', async () => {
    // Act
    const requested = await quotas.send(
      new RequestServiceQuotaIncreaseCommand({
        ServiceCode: 'vpc',
        QuotaCode: 'L-F678F1CE',
        DesiredValue: 20,
      }),
    );
    const tooLow = await refusal(
      quotas.send(
        new RequestServiceQuotaIncreaseCommand({
          ServiceCode: 'vpc',
          QuotaCode: 'L-F678F1CE',
          DesiredValue: 3,
        }),
      ),
    );
    const after = await quotas.send(
      new GetServiceQuotaCommand({ ServiceCode: 'vpc', QuotaCode: 'L-F678F1CE' }),
    );

    // Assess
    expect(requested.RequestedQuota).toMatchObject({ Status: 'PENDING', DesiredValue: 20 });
    expect(tooLow.name).toBe('IllegalArgumentException');
    expect(after.Quota?.Value).toBe(5);
  });

  it('needs servicequotas:GetServiceQuota on the quota ARN', async () => {
    // Prepare
    const allowed = new ServiceQuotasClient(
      asRole(services, 'QuotaReader', [
        {
          Effect: 'Allow',
          Action: 'servicequotas:GetServiceQuota',
          Resource: arn('servicequotas', 'vpc/L-F678F1CE'),
        },
      ]),
    );

    // Act
    const read = await allowed.send(
      new GetServiceQuotaCommand({ ServiceCode: 'vpc', QuotaCode: 'L-F678F1CE' }),
    );
    const denied = await refusal(
      allowed.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-0263D0A3' })),
    );

    // Assess
    expect(read.Quota?.Value).toBe(5);
    expect(denied.name).toBe('AccessDeniedException');
    allowed.destroy();
  });
});

describe('Service Quotas request rates', () => {
  it('throttles GetServiceQuota past its burst of 10 with TooManyRequestsException, in a bucket apart from ListServiceQuotas', async () => {
    // Prepare: real time, so that the 5-per-second refill adds nothing during the burst.
    const realTime = await startSimulator({ port: 0, timeScale: 1, services: [serviceQuotas] });
    const client = new ServiceQuotasClient({ ...services.clientConfig, endpoint: realTime.url });
    const get = () =>
      client.send(new GetServiceQuotaCommand({ ServiceCode: 'vpc', QuotaCode: 'L-F678F1CE' }));
    const list = () => client.send(new ListServiceQuotasCommand({ ServiceCode: 'vpc' }));

    try {
      // Act
      const gets = await Promise.allSettled(Array.from({ length: 14 }, get));
      const lists = await Promise.allSettled(Array.from({ length: 14 }, list));

      // Assess
      const refused = (results: PromiseSettledResult<unknown>[]) =>
        results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).name] : []));
      expect(refused(gets)).toEqual(Array.from({ length: 4 }, () => 'TooManyRequestsException'));
      expect(refused(lists)).toEqual([]);
    } finally {
      client.destroy();
      await realTime.close();
    }
  });
});

describe('control API', () => {
  it('refuses an unknown quota key with 400 and changes nothing', async () => {
    // Act
    const answer = await control('PUT', '/_local/quotas', {
      quotas: { 'vpc/L-F678F1CE': 9, 'vpc/L-NOPE': 1 },
    });
    const settings = (await control('GET', '/_local/quotas')).json as {
      quotas: Record<string, { value: number }>;
    };

    // Assess
    expect(answer.status).toBe(400);
    expect(settings.quotas['vpc/L-F678F1CE']?.value).toBe(5);
  });

  it('returns to the defaults, enforced, on reset', async () => {
    // Prepare
    await control('PUT', '/_local/quotas', { enforce: false, quotas: { 'vpc/L-F678F1CE': 9 } });

    // Act
    await control('POST', '/_local/reset');
    const settings = (await control('GET', '/_local/quotas')).json as {
      enforce: boolean;
      quotas: Record<string, { value: number }>;
    };

    // Assess
    expect(settings.enforce).toBe(true);
    expect(settings.quotas['vpc/L-F678F1CE']?.value).toBe(5);
  });
});

describe('EC2 quotas', () => {
  it('has a default VPC with an internet gateway, untagged', async () => {
    // Act
    const vpcs = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
    );
    const gateways = await ec2.send(new DescribeInternetGatewaysCommand({}));

    // Assess
    expect(vpcs.Vpcs).toEqual([expect.objectContaining({ IsDefault: true, CidrBlock: '172.31.0.0/16' })]);
    expect(vpcs.Vpcs?.[0]?.Tags ?? []).toEqual([]);
    expect(gateways.InternetGateways?.[0]?.Attachments?.[0]?.VpcId).toBe(vpcs.Vpcs?.[0]?.VpcId);
  });

  it('creates the fourth VPC beside the default one and refuses the fifth with VpcLimitExceeded', async () => {
    // Prepare
    for (let index = 0; index < 3; index += 1) await createVpc(index);

    // Act
    const fourth = await createVpc(3);
    const fifth = await refusal(createVpc(4));

    // Assess
    expect(fourth.Vpc?.VpcId).toMatch(/^vpc-/);
    expect(fifth).toEqual({
      name: 'VpcLimitExceeded',
      message: 'The maximum number of VPCs has been reached.',
      status: 400,
    });
  });

  it('creates past the default once the quota is raised, or enforcement is off', async () => {
    // Prepare
    for (let index = 0; index < 4; index += 1) await createVpc(index);

    // Act
    await control('PUT', '/_local/quotas', { quotas: { 'vpc/L-F678F1CE': 6 } });
    const raised = await createVpc(4);
    await control('PUT', '/_local/quotas', { enforce: false });
    const unenforced = await createVpc(5);

    // Assess
    expect(raised.Vpc?.VpcId).toMatch(/^vpc-/);
    expect(unenforced.Vpc?.VpcId).toMatch(/^vpc-/);
  });

  it('refuses the sixth Elastic IP with AddressLimitExceeded', async () => {
    // Prepare
    for (let index = 0; index < 5; index += 1) await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));

    // Act
    const sixth = await refusal(ec2.send(new AllocateAddressCommand({ Domain: 'vpc' })));

    // Assess
    expect(sixth.name).toBe('AddressLimitExceeded');
  });

  it("counts the default VPC's internet gateway: the fifth of berth's is InternetGatewayLimitExceeded", async () => {
    // Prepare
    for (let index = 0; index < 4; index += 1) await ec2.send(new CreateInternetGatewayCommand({}));

    // Act
    const fifth = await refusal(ec2.send(new CreateInternetGatewayCommand({})));

    // Assess
    expect(fifth.name).toBe('InternetGatewayLimitExceeded');
  });

  it('counts NAT gateways per Availability Zone', async () => {
    // Prepare
    await control('PUT', '/_local/quotas', { quotas: { 'vpc/L-FE5A380F': 1 } });
    const [subnetA, subnetB, secondInZoneA] = (await network()).subnetIds;
    const nat = async (subnetId: string) => {
      const address = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      return ec2.send(
        new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: address.AllocationId }),
      );
    };
    await nat(subnetA);

    // Act
    const sameZone = await refusal(nat(secondInZoneA));
    const otherZone = await nat(subnetB);

    // Assess
    expect(sameZone.name).toBe('NatGatewayLimitExceeded');
    expect(otherZone.NatGateway?.NatGatewayId).toMatch(/^nat-/);
  });
});

describe('ELBv2 quotas', () => {
  async function loadBalancer(name: string, subnetIds: string[]) {
    const created = await elbv2.send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnetIds }));
    return created.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
  }

  it('refuses a load balancer, target group, listener and rule past their quotas with ELB codes', async () => {
    // Prepare
    await control('PUT', '/_local/quotas', {
      quotas: {
        'elasticloadbalancing/L-53DA6B97': 1,
        'elasticloadbalancing/L-B22855CB': 1,
        'elasticloadbalancing/L-B6DF7632': 1,
        'elasticloadbalancing/L-7EED9B64': 1,
      },
    });
    const { vpcId, subnetIds } = await network();
    const zonesAandB = subnetIds.slice(0, 2);
    const balancer = await loadBalancer('first', zonesAandB);
    const group = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'tg-1',
        Protocol: 'HTTP',
        Port: 80,
        VpcId: vpcId,
        TargetType: 'ip',
      }),
    );
    const forward = [{ Type: 'forward' as const, TargetGroupArn: group.TargetGroups?.[0]?.TargetGroupArn }];
    const listener = await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: balancer,
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: forward,
      }),
    );
    const listenerArn = listener.Listeners?.[0]?.ListenerArn ?? '';
    const rule = (priority: number) =>
      elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: priority,
          Conditions: [{ Field: 'path-pattern', Values: [`/p${priority}/*`] }],
          Actions: forward,
        }),
      );
    await rule(1);

    // Act
    const secondBalancer = await refusal(loadBalancer('second', zonesAandB));
    const secondGroup = await refusal(
      elbv2.send(
        new CreateTargetGroupCommand({
          Name: 'tg-2',
          Protocol: 'HTTP',
          Port: 80,
          VpcId: vpcId,
          TargetType: 'ip',
        }),
      ),
    );
    const secondListener = await refusal(
      elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: balancer,
          Port: 8080,
          Protocol: 'HTTP',
          DefaultActions: forward,
        }),
      ),
    );
    const secondRule = await refusal(rule(2));

    // Assess: the wire codes are `TooManyLoadBalancers` …; the SDK names their exceptions so.
    expect([secondBalancer.name, secondGroup.name, secondListener.name, secondRule.name]).toEqual([
      'TooManyLoadBalancersException',
      'TooManyTargetGroupsException',
      'TooManyListenersException',
      'TooManyRulesException',
    ]);
    expect(secondBalancer.status).toBe(400);
  });
});

describe('Fargate vCPU quota', () => {
  /** A cluster and a Fargate task definition of half a vCPU, in the test network. */
  async function halfVcpuTasks(): Promise<{ taskDefinition: string; subnets: string[] }> {
    const { subnetIds } = await network();
    await ecs.send(new CreateClusterCommand({ clusterName: 'quota', capacityProviders: ['FARGATE'] }));
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'quota-half',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', essential: true }],
      }),
    );
    return {
      taskDefinition: registered.taskDefinition?.taskDefinitionArn ?? '',
      subnets: subnetIds.slice(0, 2),
    };
  }

  it('answers a RunTask failure past the vCPU quota with ECS’s reason', async () => {
    // Prepare: one vCPU is two tasks of half a vCPU.
    await control('PUT', '/_local/quotas', { quotas: { 'fargate/L-3032A538': 1 } });
    const { taskDefinition, subnets } = await halfVcpuTasks();

    // Act
    const answer = await ecs.send(
      new RunTaskCommand({
        cluster: 'quota',
        taskDefinition,
        launchType: 'FARGATE',
        count: 3,
        networkConfiguration: { awsvpcConfiguration: { subnets } },
      }),
    );

    // Assess
    expect(answer.tasks).toHaveLength(2);
    expect(answer.failures?.map((failure) => failure.reason)).toEqual([
      'You’ve reached the limit on the number of vCPUs you can run concurrently',
    ]);
  });

  it('leaves a service short of its desired count with the service event AWS shows', async () => {
    // Prepare
    await control('PUT', '/_local/quotas', { quotas: { 'fargate/L-3032A538': 1 } });
    const { taskDefinition, subnets } = await halfVcpuTasks();

    // Act
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'quota',
        serviceName: 'web',
        taskDefinition,
        desiredCount: 3,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets } },
      }),
    );
    await waitAwsSeconds(5);
    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'quota', services: ['web'] }));

    // Assess
    const service = described.services?.[0];
    expect(service?.runningCount ?? 0).toBeLessThanOrEqual(2);
    expect(service?.events?.map((event) => event.message)).toContainEqual(
      '(service web) was unable to place a task. Reason: You’ve reached the limit on the number of vCPUs you can run concurrently.',
    );
  });
});
