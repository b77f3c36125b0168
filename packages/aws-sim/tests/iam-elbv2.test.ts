/**
 * IAM for the simulated ELBv2, called through the SDK as a role: creates need berth's tag in the
 * request and the implicit `AddTags` with `elasticloadbalancing:CreateAction`; listeners and rules
 * are authorised on their load balancer and listener; changes and deletes need berth's tag on the
 * resource; Describe* is authorised on `*`. Refusals are `AccessDenied` 403.
 */
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Statement } from '../src/iam/policy';
import { ec2 } from '../src/services/ec2';
import { elbv2 } from '../src/services/elbv2';
import { arn, asRole, refusalOf } from './iam-session';
import { createNetwork, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let operator: ElasticLoadBalancingV2Client;
let network: TestNetwork;

const berthTag = { Key: 'berth:managed-by', Value: 'berth' };
const requestTagBerth = { StringEquals: { 'aws:RequestTag/berth:managed-by': 'berth' } };
const resourceTagBerth = { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } };
const elbArns = ['loadbalancer/app/*', 'listener/app/*', 'listener-rule/app/*', 'targetgroup/*'].map(
  (resource) => arn('elasticloadbalancing', resource),
);

/** berth's createLoadBalancer step (infra/functions/steps.js), ELB part. */
const createLoadBalancerGrants: Statement[] = [
  {
    Effect: 'Allow',
    Action: 'elasticloadbalancing:CreateLoadBalancer',
    Resource: arn('elasticloadbalancing', 'loadbalancer/app/*'),
    Condition: requestTagBerth,
  },
  {
    Effect: 'Allow',
    Action: 'elasticloadbalancing:AddTags',
    Resource: arn('elasticloadbalancing', 'loadbalancer/app/*'),
    Condition: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' } },
  },
  {
    Effect: 'Allow',
    Action: 'elasticloadbalancing:ModifyLoadBalancerAttributes',
    Resource: arn('elasticloadbalancing', 'loadbalancer/app/*'),
    Condition: resourceTagBerth,
  },
];

/** berth's createRouting step, ELB part. */
const createRoutingGrants: Statement[] = [
  {
    Effect: 'Allow',
    Action: [
      'elasticloadbalancing:CreateListener',
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:CreateTargetGroup',
    ],
    Resource: elbArns,
    Condition: requestTagBerth,
  },
  {
    Effect: 'Allow',
    Action: 'elasticloadbalancing:AddTags',
    Resource: elbArns,
    Condition: {
      StringEquals: {
        'elasticloadbalancing:CreateAction': ['CreateListener', 'CreateRule', 'CreateTargetGroup'],
      },
    },
  },
  {
    Effect: 'Allow',
    Action: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:CreateRule'],
    Resource: elbArns,
    Condition: resourceTagBerth,
  },
];

beforeAll(async () => {
  services = await startServices([ec2, elbv2]);
  operator = new ElasticLoadBalancingV2Client(services.clientConfig);
});

afterAll(async () => {
  operator.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  network = await createNetwork(services);
});

function loadBalancerInput(name: string, tags = [berthTag]) {
  return { Name: name, Subnets: network.subnetIds, SecurityGroups: [network.securityGroupId], Tags: tags };
}

/** A load balancer made by the operator (not evaluated), carrying `tags`. */
async function operatorLoadBalancer(name: string, tags = [berthTag]): Promise<string> {
  const created = await operator.send(new CreateLoadBalancerCommand(loadBalancerInput(name, tags)));
  const loadBalancerArn = created.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!loadBalancerArn) throw new Error('no load balancer');
  return loadBalancerArn;
}

function targetGroupInput(name: string) {
  return {
    Name: name,
    Protocol: 'HTTP' as const,
    Port: 8080,
    VpcId: network.vpcId,
    TargetType: 'ip' as const,
  };
}

describe('creates', () => {
  it('creates a load balancer carrying berth tag under berth createLoadBalancer grants', async () => {
    // Prepare
    const client = new ElasticLoadBalancingV2Client(
      asRole(services, 'ElbCreateRole', createLoadBalancerGrants),
    );

    // Act
    const created = await client.send(new CreateLoadBalancerCommand(loadBalancerInput('berth-dev-alb')));

    // Assess
    expect(created.LoadBalancers?.[0]?.LoadBalancerName).toBe('berth-dev-alb');
    client.destroy();
  });

  it('refuses a load balancer whose request lacks berth tag, naming the new load balancer ARN pattern', async () => {
    // Prepare
    const client = new ElasticLoadBalancingV2Client(
      asRole(services, 'ElbCreateRole', createLoadBalancerGrants),
    );

    // Act
    const refusal = await refusalOf(
      client.send(
        new CreateLoadBalancerCommand(
          loadBalancerInput('berth-dev-alb', [{ Key: 'berth:environment', Value: 'dev' }]),
        ),
      ),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.$metadata?.httpStatusCode).toBe(403);
    expect(refusal.message).toContain(
      `elasticloadbalancing:CreateLoadBalancer on resource: ${arn('elasticloadbalancing', 'loadbalancer/app/berth-dev-alb/*')}`,
    );
    client.destroy();
  });

  it('refuses a tagged create without the AddTags grant for CreateLoadBalancer', async () => {
    // Prepare
    const [createOnly] = createLoadBalancerGrants;
    if (!createOnly) throw new Error('no grant');
    const client = new ElasticLoadBalancingV2Client(asRole(services, 'ElbNoTagRole', [createOnly]));

    // Act
    const refusal = await refusalOf(
      client.send(new CreateLoadBalancerCommand(loadBalancerInput('berth-dev-alb'))),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain('elasticloadbalancing:AddTags on resource');
    client.destroy();
  });

  it('creates a target group, listener and rule under berth createRouting grants', async () => {
    // Prepare
    const loadBalancerArn = await operatorLoadBalancer('berth-dev-alb');
    const client = new ElasticLoadBalancingV2Client(asRole(services, 'ElbRoutingRole', createRoutingGrants));

    // Act
    const group = await client.send(
      new CreateTargetGroupCommand({ ...targetGroupInput('berth-dev-web'), Tags: [berthTag] }),
    );
    const targetGroupArn = group.TargetGroups?.[0]?.TargetGroupArn;
    const listener = await client.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
        Tags: [berthTag],
      }),
    );
    const rule = await client.send(
      new CreateRuleCommand({
        ListenerArn: listener.Listeners?.[0]?.ListenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
        Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
        Tags: [berthTag],
      }),
    );

    // Assess
    expect(targetGroupArn).toBeDefined();
    expect(rule.Rules?.[0]?.Priority).toBe('10');
    client.destroy();
  });

  it('refuses a listener without berth tag in the request on a load balancer that lacks it', async () => {
    // Prepare
    const loadBalancerArn = await operatorLoadBalancer('other-alb', [{ Key: 'team', Value: 'other' }]);
    const client = new ElasticLoadBalancingV2Client(asRole(services, 'ElbRoutingRole', createRoutingGrants));

    // Act
    const refusal = await refusalOf(
      client.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Port: 80,
          Protocol: 'HTTP',
          DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
        }),
      ),
    );

    // Assess: CreateListener is evaluated on the load balancer itself.
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain(`elasticloadbalancing:CreateListener on resource: ${loadBalancerArn} `);
    client.destroy();
  });
});

describe('changes, tags and reads', () => {
  it('changes a load balancer only when it carries berth tag', async () => {
    // Prepare
    const ours = await operatorLoadBalancer('berth-dev-alb');
    const theirs = await operatorLoadBalancer('other-alb', [{ Key: 'team', Value: 'other' }]);
    const client = new ElasticLoadBalancingV2Client(
      asRole(services, 'ElbCreateRole', createLoadBalancerGrants),
    );
    const idleTimeout = { Key: 'idle_timeout.timeout_seconds', Value: '120' };

    // Act
    const changed = await client.send(
      new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: ours, Attributes: [idleTimeout] }),
    );
    const refusal = await refusalOf(
      client.send(
        new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: theirs, Attributes: [idleTimeout] }),
      ),
    );

    // Assess
    expect(changed.Attributes).toContainEqual(idleTimeout);
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain(`on resource: ${theirs} `);
    client.destroy();
  });

  it('deletes a target group only when it carries berth tag, with the service own tag key too', async () => {
    // Prepare
    const ours = await operator.send(
      new CreateTargetGroupCommand({ ...targetGroupInput('berth-dev-web'), Tags: [berthTag] }),
    );
    const theirs = await operator.send(new CreateTargetGroupCommand(targetGroupInput('other-web')));
    const client = new ElasticLoadBalancingV2Client(
      asRole(services, 'ElbDeleteRole', [
        {
          Effect: 'Allow',
          Action: 'elasticloadbalancing:DeleteTargetGroup',
          Resource: arn('elasticloadbalancing', 'targetgroup/*'),
          Condition: { StringEquals: { 'elasticloadbalancing:ResourceTag/berth:managed-by': 'berth' } },
        },
      ]),
    );

    // Act
    await client.send(
      new DeleteTargetGroupCommand({ TargetGroupArn: ours.TargetGroups?.[0]?.TargetGroupArn }),
    );
    const refusal = await refusalOf(
      client.send(new DeleteTargetGroupCommand({ TargetGroupArn: theirs.TargetGroups?.[0]?.TargetGroupArn })),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain('elasticloadbalancing:DeleteTargetGroup');
    client.destroy();
  });

  it('refuses AddTags on an existing resource to a grant that only tags creates', async () => {
    // Prepare
    const loadBalancerArn = await operatorLoadBalancer('berth-dev-alb');
    const client = new ElasticLoadBalancingV2Client(
      asRole(services, 'ElbCreateRole', createLoadBalancerGrants),
    );

    // Act
    const refusal = await refusalOf(
      client.send(new AddTagsCommand({ ResourceArns: [loadBalancerArn], Tags: [{ Key: 'x', Value: 'y' }] })),
    );

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.message).toContain(`elasticloadbalancing:AddTags on resource: ${loadBalancerArn} `);
    client.destroy();
  });

  it('authorises DescribeLoadBalancers on *, so a resource-scoped grant does not allow it', async () => {
    // Prepare
    const reader = new ElasticLoadBalancingV2Client(
      asRole(services, 'ElbReaderRole', [
        { Effect: 'Allow', Action: 'elasticloadbalancing:DescribeLoadBalancers', Resource: '*' },
      ]),
    );
    const scoped = new ElasticLoadBalancingV2Client(
      asRole(services, 'ElbScopedReaderRole', [
        { Effect: 'Allow', Action: 'elasticloadbalancing:DescribeLoadBalancers', Resource: elbArns },
      ]),
    );

    // Act
    const described = await reader.send(new DescribeLoadBalancersCommand({}));
    const refusal = await refusalOf(scoped.send(new DescribeLoadBalancersCommand({})));

    // Assess
    expect(described.LoadBalancers).toEqual([]);
    expect(refusal.message).toContain('elasticloadbalancing:DescribeLoadBalancers on resource: * ');
    reader.destroy();
    scoped.destroy();
  });
});
