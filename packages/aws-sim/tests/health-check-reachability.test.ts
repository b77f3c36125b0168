/**
 * ELB health checks honour security groups (docs/aws-facts.md#security-groups-and-alb-health-checks):
 * a target is healthy only when its groups let the load balancer in on the health-check port and the
 * load balancer's groups let the check out; otherwise it times out (`Target.Timeout`).
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  type TargetHealth,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ec2 } from '../src/services/ec2';
import { createNetworkInterface } from '../src/services/ec2/network-interfaces';
import { elbv2 } from '../src/services/elbv2';
import { createNetwork, eventually, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let ec2Client: EC2Client;
let elb: ElasticLoadBalancingV2Client;
let network: TestNetwork;

beforeAll(async () => {
  services = await startServices([ec2, elbv2]);
  ec2Client = new EC2Client(services.clientConfig);
  elb = new ElasticLoadBalancingV2Client(services.clientConfig);
});

afterAll(async () => {
  ec2Client.destroy();
  elb.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  await control('PUT', { securityGroups: true });
  network = await createNetwork(services);
});

async function control(method: 'GET' | 'PUT', body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${services.running.url}/_local/health-checks`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

async function securityGroup(name: string): Promise<string> {
  const { GroupId } = await ec2Client.send(
    new CreateSecurityGroupCommand({ VpcId: network.vpcId, GroupName: name, Description: name }),
  );
  if (!GroupId) throw new Error('no group id');
  return GroupId;
}

/** An ALB in `albGroup` forwarding port 80 to an ip target group on 8080, and one target in `targetGroup`. */
async function targetBehindAlb(albGroup: string, targetGroup: string): Promise<string> {
  const lb = await elb.send(
    new CreateLoadBalancerCommand({
      Name: 'reach-alb',
      Subnets: network.subnetIds,
      SecurityGroups: [albGroup],
    }),
  );
  const created = await elb.send(
    new CreateTargetGroupCommand({
      Name: 'reach-web',
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
  const targetGroupArn = created.TargetGroups?.[0]?.TargetGroupArn;
  const loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!targetGroupArn || !loadBalancerArn) throw new Error('no load balancer or target group');
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    }),
  );
  const eni = createNetworkInterface(services.running.sim.ctx, {
    subnetId: network.subnetIds[0],
    groups: [targetGroup],
    description: 'a task',
  });
  await elb.send(
    new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: eni.privateIpAddress }] }),
  );
  return targetGroupArn;
}

/** The target's health once the checks have reached a verdict. */
function verdict(targetGroupArn: string): Promise<TargetHealth> {
  return eventually(async () => {
    const { TargetHealthDescriptions = [] } = await elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
    );
    const health = TargetHealthDescriptions[0]?.TargetHealth;
    return health?.State === 'healthy' || health?.State === 'unhealthy' ? health : undefined;
  });
}

function allowIn(groupId: string, from: { groupId: string } | { cidr: string }, ports: [number, number]) {
  return ec2Client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: ports[0],
          ToPort: ports[1],
          ...('groupId' in from
            ? { UserIdGroupPairs: [{ GroupId: from.groupId }] }
            : { IpRanges: [{ CidrIp: from.cidr }] }),
        },
      ],
    }),
  );
}

it('times a target out when its security groups do not let the load balancer in', async () => {
  const albGroup = await securityGroup('alb');
  const serviceGroup = await securityGroup('service');

  const targetGroupArn = await targetBehindAlb(albGroup, serviceGroup);

  expect(await verdict(targetGroupArn)).toEqual({
    State: 'unhealthy',
    Reason: 'Target.Timeout',
    Description: 'Request timed out',
  });
});

it('times a target out when its group opens another port to the load balancer group', async () => {
  const albGroup = await securityGroup('alb');
  const serviceGroup = await securityGroup('service');
  await allowIn(serviceGroup, { groupId: albGroup }, [80, 80]);

  const targetGroupArn = await targetBehindAlb(albGroup, serviceGroup);

  expect(await verdict(targetGroupArn)).toMatchObject({ State: 'unhealthy', Reason: 'Target.Timeout' });
});

it('passes a target whose group lets the load balancer group in on the traffic port', async () => {
  const albGroup = await securityGroup('alb');
  const serviceGroup = await securityGroup('service');
  await allowIn(serviceGroup, { groupId: albGroup }, [8080, 8080]);

  const targetGroupArn = await targetBehindAlb(albGroup, serviceGroup);

  expect(await verdict(targetGroupArn)).toEqual({ State: 'healthy' });
});

it('passes a target whose group lets a CIDR covering the load balancer subnets in on a port range', async () => {
  const albGroup = await securityGroup('alb');
  const serviceGroup = await securityGroup('service');
  await allowIn(serviceGroup, { cidr: '10.0.0.0/16' }, [8000, 8999]);

  const targetGroupArn = await targetBehindAlb(albGroup, serviceGroup);

  expect(await verdict(targetGroupArn)).toEqual({ State: 'healthy' });
});

it('times a target out when the CIDR covers only one of the load balancer subnets', async () => {
  const albGroup = await securityGroup('alb');
  const serviceGroup = await securityGroup('service');
  await allowIn(serviceGroup, { cidr: '10.0.1.0/24' }, [8080, 8080]);

  const targetGroupArn = await targetBehindAlb(albGroup, serviceGroup);

  expect(await verdict(targetGroupArn)).toMatchObject({ State: 'unhealthy', Reason: 'Target.Timeout' });
});

it("times a target out when the load balancer group's egress does not let the check out", async () => {
  const albGroup = await securityGroup('alb');
  const serviceGroup = await securityGroup('service');
  await allowIn(serviceGroup, { groupId: albGroup }, [8080, 8080]);
  await ec2Client.send(
    new RevokeSecurityGroupEgressCommand({
      GroupId: albGroup,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );

  const targetGroupArn = await targetBehindAlb(albGroup, serviceGroup);

  expect(await verdict(targetGroupArn)).toMatchObject({ State: 'unhealthy', Reason: 'Target.Timeout' });
});

it('turns healthy once the missing ingress rule is added', async () => {
  const albGroup = await securityGroup('alb');
  const serviceGroup = await securityGroup('service');
  const targetGroupArn = await targetBehindAlb(albGroup, serviceGroup);
  await verdict(targetGroupArn);

  await allowIn(serviceGroup, { groupId: albGroup }, [8080, 8080]);

  expect(await verdict(targetGroupArn)).toEqual({ State: 'healthy' });
});

it('ignores security groups once the control API switches the check off', async () => {
  const albGroup = await securityGroup('alb');
  const serviceGroup = await securityGroup('service');

  const switched = await control('PUT', { securityGroups: false });
  const targetGroupArn = await targetBehindAlb(albGroup, serviceGroup);

  expect(switched).toEqual({ status: 200, body: { securityGroups: false } });
  expect(await control('GET')).toEqual({ status: 200, body: { securityGroups: false } });
  expect(await verdict(targetGroupArn)).toEqual({ State: 'healthy' });
});

it('refuses a switch that is not a boolean and changes nothing', async () => {
  const answer = await control('PUT', { securityGroups: 'off' });

  expect(answer.status).toBe(400);
  expect(await control('GET')).toEqual({ status: 200, body: { securityGroups: true } });
});
