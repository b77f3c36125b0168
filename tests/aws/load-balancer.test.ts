import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Tag,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ec2 } from '@berth/aws-sim/services/ec2';
import { elbv2 } from '@berth/aws-sim/services/elbv2';
import { asRole } from '@berth/aws-sim/tests/iam-session';
import {
  DEREGISTRATION_DELAY_SECONDS,
  deleteListenerRule,
  deleteTargetGroup,
  describeServiceRules,
  ensureListenerRule,
  ensureListeners,
  ensureLoadBalancer,
  ensureTargetGroup,
  findLoadBalancerResources,
  type LoadBalancerRef,
  type LoadBalancerTeardownProgress,
  loadBalancerState,
  ResourceOwnedElsewhere,
  SSL_POLICY,
  teardownLoadBalancerPass,
} from '../../shared/aws/load-balancer';
import type { TeardownProgress } from '../../shared/aws/teardown';
import { planPriorities } from '../../shared/domain/listener-priorities';
import {
  type EnvironmentRef,
  environmentTags,
  names,
  TAG_ENVIRONMENT,
  TAG_MANAGED_BY,
  TAG_TEAM,
  tagList,
} from '../../shared/domain/naming';
import type { ServiceSpec } from '../../shared/domain/spec';
import { declaredGrants } from './declared-grants';
import {
  createNetwork,
  environment,
  eventually,
  type SimulatedAws,
  service,
  specWith,
  startAws,
  type TestNetwork,
  TIME_SCALE,
  waitAwsSeconds,
} from './simulated-aws';

const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const teamTags = { 'cost-center': 'cc-42' };

let aws: SimulatedAws;
let network: TestNetwork;
const env = environment();
const otherEnv = environment('shop', 'Z9Y8X7W6', 'search');

beforeAll(async () => {
  aws = await startAws([ec2, elbv2]);
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
  aws.running.sim.reset();
  network = await createNetwork(aws);
});

const placement = () => ({
  subnetIds: network.subnetIds,
  securityGroupId: network.securityGroupId,
  tags: teamTags,
});

async function tagsOf(arn: string): Promise<Record<string, string>> {
  const answer = await aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  const tags: Tag[] = answer.TagDescriptions?.[0]?.Tags ?? [];
  return Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
}

function expectEnvironmentTags(tags: Record<string, string>, owner: EnvironmentRef = env): void {
  expect(tags).toMatchObject({
    [TAG_ENVIRONMENT]: owner.id,
    [TAG_TEAM]: owner.team,
    [TAG_MANAGED_BY]: 'berth',
    'cost-center': 'cc-42',
  });
}

function count(type: string): number {
  return aws.running.sim.store.list(type).length;
}

async function loadBalancer(): Promise<LoadBalancerRef> {
  return ensureLoadBalancer(env, specWith([{ name: 'api' }]).loadBalancer, placement(), aws.elbv2);
}

async function describeListeners(loadBalancerArn: string) {
  const answer = await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }));
  return answer.Listeners ?? [];
}

async function nonDefaultRules(listenerArn: string) {
  const answer = await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
  return (answer.Rules ?? []).filter((rule) => !rule.IsDefault);
}

/** The ALB, its HTTP listener, and a target group and rule per service at the planned priorities. */
async function provision(services: ServiceSpec[]) {
  const lb = await loadBalancer();
  const listeners = await ensureListeners(env, lb.arn, undefined, teamTags, aws.elbv2);
  const existing = await describeServiceRules(env, listeners.routingListenerArn, aws.elbv2);
  const priorities = planPriorities(
    services,
    Object.fromEntries(existing.map((rule) => [rule.service, rule.priority])),
  );
  const targetGroups = new Map<string, string>();
  for (const each of services) {
    const targetGroupArn = await ensureTargetGroup(env, each, network.vpcId, teamTags, aws.elbv2);
    targetGroups.set(each.name, targetGroupArn);
    const priority = priorities[each.name] ?? 0;
    await ensureListenerRule(
      env,
      listeners.routingListenerArn,
      each,
      targetGroupArn,
      priority,
      teamTags,
      aws.elbv2,
    );
  }
  return { lb, listeners, targetGroups };
}

async function priorityByService(listenerArn: string): Promise<Record<string, number>> {
  const rules = await describeServiceRules(env, listenerArn, aws.elbv2);
  return Object.fromEntries(rules.map((rule) => [rule.service, rule.priority]));
}

async function teardownUntilDone(environmentId: string, maxPasses = 20): Promise<TeardownProgress[]> {
  const passes: TeardownProgress[] = [];
  for (let pass = 0; pass < maxPasses; pass += 1) {
    const progress = await teardownLoadBalancerPass(environmentId, {}, aws.elbv2);
    passes.push(progress);
    if (progress.done) return passes;
    // The workflow's Wait state between passes.
    await waitAwsSeconds(15);
  }
  throw new Error(`teardown not done after ${maxPasses} passes: ${JSON.stringify(passes.at(-1))}`);
}

/** Every ELBv2 resource of the simulation whose `berth:environment` tag is the environment's. */
function taggedResources(environmentId: string): string[] {
  return ['load-balancer', 'target-group', 'listener', 'listener-rule'].flatMap((type) =>
    aws.running.sim.store
      .list(type)
      .filter((resource) => resource.tags[TAG_ENVIRONMENT] === environmentId)
      .map((resource) => resource.id),
  );
}

describe('ensureLoadBalancer', () => {
  it('creates an internet-facing IPv4 ALB in the subnets with its tags and idle timeout', async () => {
    const spec = specWith([{ name: 'api' }], { loadBalancer: { idleTimeoutSeconds: 120 } }).loadBalancer;
    const lb = await ensureLoadBalancer(env, spec, placement(), aws.elbv2);

    const described = await aws.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lb.arn] }));
    expect(described.LoadBalancers?.[0]).toMatchObject({
      LoadBalancerName: names.loadBalancer(env),
      Type: 'application',
      Scheme: 'internet-facing',
      IpAddressType: 'ipv4',
      SecurityGroups: [network.securityGroupId],
      DNSName: lb.dnsName,
      CanonicalHostedZoneId: lb.canonicalHostedZoneId,
    });
    expect(lb.state).toBe('provisioning');
    expectEnvironmentTags(await tagsOf(lb.arn));
    const attributes = await aws.elbv2.send(
      new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.arn }),
    );
    expect(attributes.Attributes).toContainEqual({ Key: 'idle_timeout.timeout_seconds', Value: '120' });
  });

  it('answers the same ALB when run twice and creates nothing new', async () => {
    const first = await loadBalancer();
    const second = await loadBalancer();
    expect(second.arn).toBe(first.arn);
    expect(count('load-balancer')).toBe(1);
  });

  it("adopts the environment's own ALB whose settings changed (DuplicateLoadBalancerName)", async () => {
    const first = await loadBalancer();
    const moved = { ...placement(), securityGroupId: await otherSecurityGroup() };
    const again = await ensureLoadBalancer(env, specWith([{ name: 'api' }]).loadBalancer, moved, aws.elbv2);
    expect(again.arn).toBe(first.arn);
    expect(count('load-balancer')).toBe(1);
  });

  it("refuses another environment's ALB of the same name, naming it", async () => {
    await aws.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: names.loadBalancer(env),
        Subnets: network.subnetIds,
        SecurityGroups: [await otherSecurityGroup()],
        Tags: tagList(environmentTags(otherEnv)),
      }),
    );
    const attempt = loadBalancer();
    await expect(attempt).rejects.toBeInstanceOf(ResourceOwnedElsewhere);
    await expect(attempt).rejects.toThrow(`load balancer ${names.loadBalancer(env)}`);
    expect(count('load-balancer')).toBe(1);
  });

  it("refuses another environment's ALB even when every setting is the same (CreateLoadBalancer answers it)", async () => {
    await aws.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: names.loadBalancer(env),
        Subnets: network.subnetIds,
        SecurityGroups: [network.securityGroupId],
        Tags: tagList(environmentTags(otherEnv)),
      }),
    );
    await expect(loadBalancer()).rejects.toBeInstanceOf(ResourceOwnedElsewhere);
  });

  async function otherSecurityGroup(): Promise<string> {
    const { EC2Client, CreateSecurityGroupCommand } = await import('@aws-sdk/client-ec2');
    const client = new EC2Client(aws.clientConfig);
    try {
      const group = await client.send(
        new CreateSecurityGroupCommand({ VpcId: network.vpcId, GroupName: 'other', Description: 'other' }),
      );
      return group.GroupId ?? '';
    } finally {
      client.destroy();
    }
  }
});

describe('loadBalancerState', () => {
  it('is provisioning after creation and active once the ALB is up', async () => {
    const lb = await loadBalancer();
    expect(await loadBalancerState(lb.arn, aws.elbv2)).toBe('provisioning');
    await eventually(async () =>
      (await loadBalancerState(lb.arn, aws.elbv2)) === 'active' ? true : undefined,
    );
  });

  it('lets throttling propagate for the caller to classify', async () => {
    const lb = await loadBalancer();
    aws.running.sim.faults.add([
      {
        operation: 'DescribeLoadBalancers',
        code: 'Throttling',
        status: 400,
        message: 'Rate exceeded',
        count: 1,
      },
    ]);
    await expect(loadBalancerState(lb.arn, aws.elbv2)).rejects.toMatchObject({ name: 'Throttling' });
  });
});

describe('ensureListeners', () => {
  it('without a certificate: one HTTP listener on 80 answering a JSON 404, tagged', async () => {
    const lb = await loadBalancer();
    const arns = await ensureListeners(env, lb.arn, undefined, teamTags, aws.elbv2);

    const listeners = await describeListeners(lb.arn);
    expect(listeners).toHaveLength(1);
    expect(listeners[0]).toMatchObject({ ListenerArn: arns.httpListenerArn, Port: 80, Protocol: 'HTTP' });
    expect(listeners[0]?.DefaultActions?.[0]).toMatchObject({
      Type: 'fixed-response',
      FixedResponseConfig: {
        StatusCode: '404',
        ContentType: 'application/json',
        MessageBody: '{"title":"Not Found","status":404}',
      },
    });
    expect(arns.httpsListenerArn).toBeUndefined();
    expect(arns.routingListenerArn).toBe(arns.httpListenerArn);
    expectEnvironmentTags(await tagsOf(arns.httpListenerArn));
  });

  it('with a certificate: 80 redirects to HTTPS with a 301, 443 terminates TLS 1.2/1.3 with the 404', async () => {
    const lb = await loadBalancer();
    const arns = await ensureListeners(env, lb.arn, CERTIFICATE, teamTags, aws.elbv2);

    const listeners = await describeListeners(lb.arn);
    const http = listeners.find((listener) => listener.Port === 80);
    const https = listeners.find((listener) => listener.Port === 443);
    expect(http?.DefaultActions?.[0]).toMatchObject({
      Type: 'redirect',
      RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' },
    });
    expect(https).toMatchObject({
      ListenerArn: arns.httpsListenerArn,
      Protocol: 'HTTPS',
      SslPolicy: SSL_POLICY,
      Certificates: [{ CertificateArn: CERTIFICATE }],
    });
    expect(https?.DefaultActions?.[0]).toMatchObject({ Type: 'fixed-response' });
    expect(arns.routingListenerArn).toBe(arns.httpsListenerArn);
    expectEnvironmentTags(await tagsOf(arns.httpsListenerArn ?? ''));
  });

  it('creates nothing new when run twice', async () => {
    const lb = await loadBalancer();
    const first = await ensureListeners(env, lb.arn, CERTIFICATE, teamTags, aws.elbv2);
    const second = await ensureListeners(env, lb.arn, CERTIFICATE, teamTags, aws.elbv2);
    expect(second).toEqual(first);
    expect(count('listener')).toBe(2);
  });

  it('modifies the existing listeners when a certificate is added, then removed', async () => {
    const lb = await loadBalancer();
    const plain = await ensureListeners(env, lb.arn, undefined, teamTags, aws.elbv2);
    const secured = await ensureListeners(env, lb.arn, CERTIFICATE, teamTags, aws.elbv2);
    expect(secured.httpListenerArn).toBe(plain.httpListenerArn);
    expect((await describeListeners(lb.arn)).find((l) => l.Port === 80)?.DefaultActions?.[0]?.Type).toBe(
      'redirect',
    );

    const plainAgain = await ensureListeners(env, lb.arn, undefined, teamTags, aws.elbv2);
    expect(plainAgain.httpListenerArn).toBe(plain.httpListenerArn);
    const listeners = await describeListeners(lb.arn);
    expect(listeners.map((listener) => listener.Port)).toEqual([80]);
    expect(listeners[0]?.DefaultActions?.[0]?.Type).toBe('fixed-response');
  });
});

describe('ensureTargetGroup', () => {
  const api = service('api', {
    port: 8080,
    healthCheck: {
      path: '/healthz',
      intervalSeconds: 15,
      timeoutSeconds: 4,
      healthyThreshold: 3,
      unhealthyThreshold: 4,
      matcher: '200-299',
    },
  });

  it("creates an IP target group with the spec's health check, a 30 s deregistration delay and tags", async () => {
    const arn = await ensureTargetGroup(env, api, network.vpcId, teamTags, aws.elbv2);

    const described = await aws.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
    expect(described.TargetGroups?.[0]).toMatchObject({
      TargetGroupName: names.targetGroup(env, 'api'),
      TargetType: 'ip',
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: network.vpcId,
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 15,
      HealthCheckTimeoutSeconds: 4,
      HealthyThresholdCount: 3,
      UnhealthyThresholdCount: 4,
      Matcher: { HttpCode: '200-299' },
    });
    const attributes = await aws.elbv2.send(
      new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }),
    );
    expect(attributes.Attributes).toContainEqual({
      Key: 'deregistration_delay.timeout_seconds',
      Value: String(DEREGISTRATION_DELAY_SECONDS),
    });
    expectEnvironmentTags(await tagsOf(arn));
  });

  it('answers the same target group when run twice', async () => {
    const first = await ensureTargetGroup(env, api, network.vpcId, teamTags, aws.elbv2);
    const second = await ensureTargetGroup(env, api, network.vpcId, teamTags, aws.elbv2);
    expect(second).toBe(first);
    expect(count('target-group')).toBe(1);
  });

  it('applies a changed health check to the existing group (DuplicateTargetGroupName)', async () => {
    const first = await ensureTargetGroup(env, api, network.vpcId, teamTags, aws.elbv2);
    const changed = { ...api, healthCheck: { ...api.healthCheck, path: '/ready', matcher: '204' } };
    const second = await ensureTargetGroup(env, changed, network.vpcId, teamTags, aws.elbv2);

    expect(second).toBe(first);
    const described = await aws.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [first] }));
    expect(described.TargetGroups?.[0]).toMatchObject({
      HealthCheckPath: '/ready',
      Matcher: { HttpCode: '204' },
    });
  });

  it("refuses another environment's target group of the same name", async () => {
    await aws.elbv2.send(
      new CreateTargetGroupCommand({
        Name: names.targetGroup(env, 'api'),
        TargetType: 'ip',
        Protocol: 'HTTP',
        Port: 9999,
        VpcId: network.vpcId,
        Tags: tagList(environmentTags(otherEnv)),
      }),
    );
    await expect(ensureTargetGroup(env, api, network.vpcId, teamTags, aws.elbv2)).rejects.toBeInstanceOf(
      ResourceOwnedElsewhere,
    );
  });
});

describe('ensureListenerRule', () => {
  const api = service('api', {
    routing: { pathPatterns: ['/api/*', '/v1/*'], hostHeaders: ['shop.example.com'] },
  });

  async function listenerAndGroup() {
    const lb = await loadBalancer();
    const { routingListenerArn } = await ensureListeners(env, lb.arn, undefined, teamTags, aws.elbv2);
    const targetGroupArn = await ensureTargetGroup(env, api, network.vpcId, teamTags, aws.elbv2);
    return { listenerArn: routingListenerArn, targetGroupArn };
  }

  it('forwards the path patterns and host headers to the target group at the priority, tagged', async () => {
    const { listenerArn, targetGroupArn } = await listenerAndGroup();
    const ruleArn = await ensureListenerRule(env, listenerArn, api, targetGroupArn, 100, teamTags, aws.elbv2);

    const [rule] = await nonDefaultRules(listenerArn);
    expect(rule).toMatchObject({ RuleArn: ruleArn, Priority: '100' });
    expect(rule?.Conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Field: 'path-pattern',
          PathPatternConfig: { Values: ['/api/*', '/v1/*'] },
        }),
        expect.objectContaining({ Field: 'host-header', HostHeaderConfig: { Values: ['shop.example.com'] } }),
      ]),
    );
    expect(rule?.Actions?.[0]).toMatchObject({ Type: 'forward', TargetGroupArn: targetGroupArn });
    expectEnvironmentTags(await tagsOf(ruleArn));
  });

  it('answers the same rule when run twice', async () => {
    const { listenerArn, targetGroupArn } = await listenerAndGroup();
    const first = await ensureListenerRule(env, listenerArn, api, targetGroupArn, 100, teamTags, aws.elbv2);
    const second = await ensureListenerRule(env, listenerArn, api, targetGroupArn, 100, teamTags, aws.elbv2);
    expect(second).toBe(first);
    expect(count('listener-rule')).toBe(1);
  });

  it('modifies the existing rule when the routing changes', async () => {
    const { listenerArn, targetGroupArn } = await listenerAndGroup();
    const first = await ensureListenerRule(env, listenerArn, api, targetGroupArn, 100, teamTags, aws.elbv2);
    const rerouted = { ...api, routing: { ...api.routing, pathPatterns: ['/shop/*'], hostHeaders: [] } };
    const second = await ensureListenerRule(
      env,
      listenerArn,
      rerouted,
      targetGroupArn,
      100,
      teamTags,
      aws.elbv2,
    );

    expect(second).toBe(first);
    const [rule] = await nonDefaultRules(listenerArn);
    expect(rule?.Conditions).toEqual([
      expect.objectContaining({ Field: 'path-pattern', Values: ['/shop/*'] }),
    ]);
  });

  it('takes the next free priority when the planned one is held by a rule berth did not plan (PriorityInUse)', async () => {
    const { listenerArn, targetGroupArn } = await listenerAndGroup();
    await aws.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 100,
        Conditions: [{ Field: 'path-pattern', Values: ['/maintenance'] }],
        Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
      }),
    );
    const ruleArn = await ensureListenerRule(env, listenerArn, api, targetGroupArn, 100, teamTags, aws.elbv2);
    const rule = (await nonDefaultRules(listenerArn)).find((candidate) => candidate.RuleArn === ruleArn);
    expect(rule?.Priority).toBe('101');
  });
});

describe('stable priorities across updates', () => {
  it('keeps the other services at their priorities when one is added and one removed', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) =>
      service(name, { routing: { pathPatterns: [`/${name}/*`] } }),
    );
    if (!a || !b || !c) throw new Error('services');
    const first = await provision([a, b, c]);
    const listenerArn = first.listeners.routingListenerArn;
    expect(await priorityByService(listenerArn)).toEqual({ a: 100, b: 110, c: 120 });

    // Update: d is added before a, b is removed (its rule, then its target group).
    const d = service('d', { routing: { pathPatterns: ['/d/*'] } });
    await provision([d, a, c]);
    const bRule = (await describeServiceRules(env, listenerArn, aws.elbv2)).find(
      (rule) => rule.service === 'b',
    );
    await deleteListenerRule(bRule?.ruleArn ?? '', aws.elbv2);
    expect(await deleteTargetGroup(first.targetGroups.get('b') ?? '', aws.elbv2)).toEqual({
      done: true,
      blocked: [],
    });

    expect(await priorityByService(listenerArn)).toEqual({ a: 100, c: 120, d: 130 });
    // Deleting again is harmless: both are already gone.
    await deleteListenerRule(bRule?.ruleArn ?? '', aws.elbv2);
    expect((await deleteTargetGroup(first.targetGroups.get('b') ?? '', aws.elbv2)).done).toBe(true);
  });
});

describe('teardown', () => {
  const services = [service('api', { routing: { pathPatterns: ['/api/*'] } }), service('web')];

  it("finds the environment's ALB, listeners, rules and target groups by tag, and nothing of others", async () => {
    const { lb, listeners, targetGroups } = await provision(services);
    await aws.elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'someone-else',
        TargetType: 'ip',
        Port: 80,
        VpcId: network.vpcId,
        Tags: tagList(environmentTags(otherEnv)),
      }),
    );
    const found = await findLoadBalancerResources(env.id, aws.elbv2);
    expect(found.loadBalancers.map((item) => item.arn)).toEqual([lb.arn]);
    expect(found.listeners.map((item) => item.arn)).toEqual([listeners.httpListenerArn]);
    expect(found.rules).toHaveLength(2);
    expect(found.targetGroups.map((item) => item.arn).sort()).toEqual([...targetGroups.values()].sort());
  });

  it('reads tags 20 ARNs at a time (DescribeTags limit) across many target groups', async () => {
    const many = Array.from({ length: 25 }, (_, i) => service(`svc${i}`));
    for (const each of many) await ensureTargetGroup(env, each, network.vpcId, teamTags, aws.elbv2);
    const found = await findLoadBalancerResources(env.id, aws.elbv2);
    expect(found.targetGroups).toHaveLength(25);
  });

  it('passes until done leave no ELBv2 resource with the tag, and leave other environments alone', async () => {
    await provision(services);
    const foreign = await aws.elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'someone-else',
        TargetType: 'ip',
        Port: 80,
        VpcId: network.vpcId,
        Tags: tagList(environmentTags(otherEnv)),
      }),
    );

    const passes = await teardownUntilDone(env.id);
    expect(passes[0]?.blocked).toContainEqual(expect.objectContaining({ code: 'LoadBalancerDeleting' }));
    expect(taggedResources(env.id)).toEqual([]);
    expect(await findLoadBalancerResources(env.id, aws.elbv2)).toEqual({
      loadBalancers: [],
      listeners: [],
      rules: [],
      targetGroups: [],
    });
    expect(taggedResources(otherEnv.id)).toEqual([foreign.TargetGroups?.[0]?.TargetGroupArn]);
  });

  describe('an ALB deleted by one pass and gone before the next asks again, as the teardown role', () => {
    let asTeardown: ElasticLoadBalancingV2Client;
    let deleteLoadBalancerCalls = 0;
    /** When set, a DeleteLoadBalancer is held until the ALB is gone: throttled retries outlasting its deletion. */
    let holdDelete = false;

    beforeEach(() => {
      // The teardown pass's own grants: DeleteLoadBalancer only on an ALB that carries berth's tag.
      asTeardown = new ElasticLoadBalancingV2Client(
        asRole(aws, 'TeardownPassRole', declaredGrants('teardownPass', 'elasticloadbalancing')),
      );
      deleteLoadBalancerCalls = 0;
      holdDelete = false;
      asTeardown.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'DeleteLoadBalancerCommand') {
            deleteLoadBalancerCalls += 1;
            if (holdDelete) {
              aws.running.sim.clock.setScale(TIME_SCALE);
              await eventually(async () => (count('load-balancer') === 0 ? true : undefined));
            }
          }
          return next(args);
        },
        { step: 'initialize', name: 'holdDeleteLoadBalancer' },
      );
      // A deleted ALB stays listed for 10–30 s: the clock is slowed so that the next pass still lists it.
      aws.running.sim.clock.setScale(TIME_SCALE * 1000);
    });

    afterEach(() => {
      aws.running.sim.clock.setScale(TIME_SCALE);
      asTeardown.destroy();
    });

    /** Passes as the workflow runs them, each handed what the previous one is still deleting. */
    async function teardownAsRoleUntilDone(deleting: string[]): Promise<void> {
      aws.running.sim.clock.setScale(TIME_SCALE);
      let progress: LoadBalancerTeardownProgress | undefined;
      for (let pass = 0; pass < 20 && !progress?.done; pass += 1) {
        await waitAwsSeconds(15);
        progress = await teardownLoadBalancerPass(
          env.id,
          { deleting: progress?.deletingLoadBalancerArns ?? deleting },
          asTeardown,
        );
      }
      expect(progress?.done).toBe(true);
    }

    it('is asked to go once, so no later pass is refused a delete of an ALB that is gone', async () => {
      // Prepare
      const { lb } = await provision(services);
      const first = await teardownLoadBalancerPass(env.id, {}, asTeardown);
      expect(first.deletingLoadBalancerArns).toEqual([lb.arn]);
      holdDelete = true;

      // Act
      const second = await teardownLoadBalancerPass(
        env.id,
        { deleting: first.deletingLoadBalancerArns },
        asTeardown,
      );
      await teardownAsRoleUntilDone(second.deletingLoadBalancerArns);

      // Assess
      expect(second.blocked).toContainEqual(
        expect.objectContaining({ resource: lb.arn, code: 'LoadBalancerDeleting' }),
      );
      expect(deleteLoadBalancerCalls).toBe(1);
      expect(aws.running.sim.iam.denials()).toEqual([]);
      expect(taggedResources(env.id)).toEqual([]);
    });

    it('counts it deleted when a pass that did not know asks again and IAM refuses, as the ALB has no tags left', async () => {
      // Prepare: a later teardown (another DELETE) does not know what the stopped one asked.
      const { lb } = await provision(services);
      await teardownLoadBalancerPass(env.id, {}, asTeardown);
      holdDelete = true;

      // Act
      const second = await teardownLoadBalancerPass(env.id, {}, asTeardown);
      await teardownAsRoleUntilDone(second.deletingLoadBalancerArns);

      // Assess: AWS refused the delete of the ALB that was gone, and the pass did not fail on it.
      expect(aws.running.sim.iam.denials()).toEqual([
        expect.objectContaining({ action: 'elasticloadbalancing:DeleteLoadBalancer', resource: lb.arn }),
      ]);
      expect(second.blocked).not.toContainEqual(expect.objectContaining({ resource: lb.arn }));
      expect(taggedResources(env.id)).toEqual([]);
    });
  });

  it('reports a target group still in use (ResourceInUse) and deletes it on a later pass', async () => {
    await provision(services);
    // A group of the environment that another ALB's listener forwards to: it cannot go yet.
    const shared = await ensureTargetGroup(env, service('shared'), network.vpcId, teamTags, aws.elbv2);
    const other = await aws.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'other-alb',
        Subnets: network.subnetIds,
        SecurityGroups: [network.securityGroupId],
      }),
    );
    const foreignListener = await aws.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: other.LoadBalancers?.[0]?.LoadBalancerArn,
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: shared }],
      }),
    );

    const first = await teardownLoadBalancerPass(env.id, {}, aws.elbv2);
    expect(first.done).toBe(false);
    expect(first.blocked).toContainEqual(
      expect.objectContaining({ resource: shared, code: 'ResourceInUse' }),
    );

    await aws.elbv2.send(
      new DeleteListenerCommand({ ListenerArn: foreignListener.Listeners?.[0]?.ListenerArn }),
    );
    await teardownUntilDone(env.id);
    expect(taggedResources(env.id)).toEqual([]);
  });

  it('deletes recorded resources that carry no tag (a crash between create and tag cannot happen, a lost tag can)', async () => {
    const untagged = await aws.elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'recorded-only',
        TargetType: 'ip',
        Port: 80,
        VpcId: network.vpcId,
      }),
    );
    const arn = untagged.TargetGroups?.[0]?.TargetGroupArn ?? '';
    const progress = await teardownLoadBalancerPass(
      env.id,
      { recorded: { targetGroupArns: [arn] } },
      aws.elbv2,
    );
    expect(progress).toEqual({ done: true, blocked: [], deletingLoadBalancerArns: [] });
    expect(count('target-group')).toBe(0);
  });

  it('is done at once for an environment with nothing left, recorded ARNs already gone included', async () => {
    const gone = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/gone/0123456789abcdef';
    const goneGroup = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/gone/0123456789abcdef';
    const progress = await teardownLoadBalancerPass(
      env.id,
      { recorded: { loadBalancerArns: [gone], targetGroupArns: [goneGroup] } },
      aws.elbv2,
    );
    expect(progress).toEqual({ done: true, blocked: [], deletingLoadBalancerArns: [] });
  });
});

describe('deleteTargetGroup', () => {
  it('reports ResourceInUse while a rule forwards to the group', async () => {
    const api = service('api');
    const { targetGroups } = await provision([api]);
    const arn = targetGroups.get('api') ?? '';
    expect(await deleteTargetGroup(arn, aws.elbv2)).toEqual({
      done: false,
      blocked: [expect.objectContaining({ resource: arn, code: 'ResourceInUse' })],
    });
  });
});
