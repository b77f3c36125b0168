import { DeleteSubnetCommand, DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  RemoveTagsCommand,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ec2 } from '../src/services/ec2';
import { elbv2 } from '../src/services/elbv2';
import { awsCli } from './aws-cli';
// SDK v3 names query errors after the modelled shape (`DuplicateListener` on the wire → `DuplicateListenerException`);
// the CLI test checks the wire codes themselves.
import { createNetwork, eventually, type TestNetwork } from './network-fixture';
import { type SimulatedServices, startServices, TIME_SCALE } from './simulated-services';

let services: SimulatedServices;
let client: ElasticLoadBalancingV2Client;
let network: TestNetwork;

const certificateArn = 'arn:aws:acm:us-east-1:000000000000:certificate/12345678-1234-1234-1234-123456789012';

beforeAll(async () => {
  services = await startServices([ec2, elbv2]);
  client = new ElasticLoadBalancingV2Client(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await services.running.close();
});

beforeEach(async () => {
  services.running.sim.reset();
  network = await createNetwork(services);
});

async function createAlb(name = 'berth-dev-alb') {
  const created = await client.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Subnets: network.subnetIds,
      SecurityGroups: [network.securityGroupId],
      Tags: [{ Key: 'berth:environment', Value: 'dev' }],
    }),
  );
  const lb = created.LoadBalancers?.[0];
  if (!lb?.LoadBalancerArn) throw new Error('no load balancer');
  return { ...lb, LoadBalancerArn: lb.LoadBalancerArn };
}

async function createTargetGroup(name = 'berth-dev-web') {
  const created = await client.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: network.vpcId,
      TargetType: 'ip',
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 2,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      Tags: [{ Key: 'berth:environment', Value: 'dev' }],
    }),
  );
  const arn = created.TargetGroups?.[0]?.TargetGroupArn;
  if (!arn) throw new Error('no target group');
  return arn;
}

async function forwardListener(loadBalancerArn: string, targetGroupArn: string) {
  const created = await client.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    }),
  );
  const arn = created.Listeners?.[0]?.ListenerArn;
  if (!arn) throw new Error('no listener');
  return arn;
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected an error');
    },
    (error: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => error,
  );

describe('load balancers', () => {
  it('creates an ALB that is provisioning, with DNS name, hosted zone and tags, then turns active', async () => {
    const lb = await createAlb();

    expect(lb).toMatchObject({
      LoadBalancerName: 'berth-dev-alb',
      Scheme: 'internet-facing',
      Type: 'application',
      VpcId: network.vpcId,
      State: { Code: 'provisioning' },
      CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
      DNSName: expect.stringMatching(/^berth-dev-alb-\d+\.us-east-1\.elb\.amazonaws\.com$/),
      SecurityGroups: [network.securityGroupId],
    });
    expect(lb.LoadBalancerArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/berth-dev-alb\/[0-9a-f]{16}$/,
    );
    expect(lb.AvailabilityZones?.map((zone) => zone.ZoneName).sort()).toEqual(['us-east-1a', 'us-east-1b']);
    const tags = await client.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn] }));
    expect(tags.TagDescriptions?.[0]?.Tags).toEqual([{ Key: 'berth:environment', Value: 'dev' }]);
    await eventually(async () => {
      const described = await client.send(
        new DescribeLoadBalancersCommand({ LoadBalancerArns: [lb.LoadBalancerArn] }),
      );
      return described.LoadBalancers?.[0]?.State?.Code === 'active' ? true : undefined;
    });
  });

  it('answers the same ALB for the same name and settings, DuplicateLoadBalancerName otherwise', async () => {
    const first = await createAlb();
    const again = await createAlb();

    expect(again.LoadBalancerArn).toBe(first.LoadBalancerArn);
    const duplicate = await errorOf(
      client.send(
        new CreateLoadBalancerCommand({
          Name: 'berth-dev-alb',
          Subnets: network.subnetIds,
          Scheme: 'internal',
        }),
      ),
    );
    expect(duplicate.name).toBe('DuplicateLoadBalancerNameException');
  });

  it.each(['internal-shop', '-shop', 'shop-', 'a'.repeat(33), 'shop_web'])(
    'refuses the load balancer name %s with ValidationError, as ELBv2 does',
    async (name) => {
      // Act
      const failure = await errorOf(
        client.send(new CreateLoadBalancerCommand({ Name: name, Subnets: network.subnetIds })),
      );

      // Assess
      expect(failure.name).toBe('ValidationError');
      expect(failure.message).toMatch(/internal-|maximum of 32 characters/);
    },
  );

  it.each(['-web', 'web-', 'b'.repeat(33), 'web.api'])(
    'refuses the target group name %s with ValidationError, and accepts one starting with internal-',
    async (name) => {
      // Act
      const failure = await errorOf(
        client.send(
          new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: network.vpcId }),
        ),
      );
      const accepted = await client.send(
        new CreateTargetGroupCommand({
          Name: 'internal-web',
          Protocol: 'HTTP',
          Port: 80,
          VpcId: network.vpcId,
        }),
      );

      // Assess
      expect(failure.name).toBe('ValidationError');
      expect(failure.message).toContain('maximum of 32 characters');
      expect(accepted.TargetGroups?.[0]?.TargetGroupName).toBe('internal-web');
    },
  );

  it('needs subnets in two zones', async () => {
    const failure = await errorOf(
      client.send(new CreateLoadBalancerCommand({ Name: 'one-zone', Subnets: [network.subnetIds[0]] })),
    );

    expect(failure.name).toBe('ValidationError');
  });

  it('describes by name and pages with Marker, and answers LoadBalancerNotFound for a missing one', async () => {
    await createAlb('alb-one');
    await createAlb('alb-two');

    const first = await client.send(new DescribeLoadBalancersCommand({ PageSize: 1 }));
    const second = await client.send(
      new DescribeLoadBalancersCommand({ PageSize: 1, Marker: first.NextMarker }),
    );
    const byName = await client.send(new DescribeLoadBalancersCommand({ Names: ['alb-two'] }));
    const missing = await errorOf(client.send(new DescribeLoadBalancersCommand({ Names: ['nope'] })));

    expect(first.LoadBalancers?.map((lb) => lb.LoadBalancerName)).toEqual(['alb-one']);
    expect(first.NextMarker).toBeDefined();
    expect(second.LoadBalancers?.map((lb) => lb.LoadBalancerName)).toEqual(['alb-two']);
    expect(second.NextMarker).toBeUndefined();
    expect(byName.LoadBalancers).toHaveLength(1);
    expect(missing.name).toBe('LoadBalancerNotFoundException');
    expect(missing.$metadata?.httpStatusCode).toBe(400);
  });

  it('has one ENI per subnet that keeps the subnet busy until released after deletion', async () => {
    const ec2Client = new EC2Client(services.clientConfig);
    const lb = await createAlb();
    const enis = await ec2Client.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [network.vpcId] }] }),
    );
    expect(enis.NetworkInterfaces?.map((eni) => eni.SubnetId).sort()).toEqual([...network.subnetIds].sort());

    await client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    const blocked = await errorOf(
      ec2Client.send(new DeleteSubnetCommand({ SubnetId: network.subnetIds[0] })),
    );
    expect(blocked.name).toBe('DependencyViolation');

    await eventually(async () => {
      const described = await errorOf(
        client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lb.LoadBalancerArn] })),
      ).catch(() => undefined);
      return described?.name === 'LoadBalancerNotFoundException' ? true : undefined;
    });
    await eventually(async () => {
      try {
        await ec2Client.send(new DeleteSubnetCommand({ SubnetId: network.subnetIds[0] }));
        return true;
      } catch {
        return undefined;
      }
    });
    ec2Client.destroy();
    // Deleting a load balancer that is gone succeeds, as documented.
    await client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
  });

  it('modifies the idle timeout', async () => {
    const lb = await createAlb();

    const modified = await client.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '120' }],
      }),
    );

    expect(modified.Attributes).toContainEqual({ Key: 'idle_timeout.timeout_seconds', Value: '120' });
  });
});

describe('target groups', () => {
  it('creates an ip target group with its health check, idempotently, DuplicateTargetGroupName otherwise', async () => {
    const arn = await createTargetGroup();
    const again = await createTargetGroup();
    const duplicate = await errorOf(
      client.send(
        new CreateTargetGroupCommand({
          Name: 'berth-dev-web',
          Protocol: 'HTTP',
          Port: 9090,
          VpcId: network.vpcId,
          TargetType: 'ip',
        }),
      ),
    );
    const described = await client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));

    expect(again).toBe(arn);
    expect(arn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup\/berth-dev-web\/[0-9a-f]{16}$/,
    );
    expect(duplicate.name).toBe('DuplicateTargetGroupNameException');
    expect(described.TargetGroups?.[0]).toMatchObject({
      TargetType: 'ip',
      Port: 8080,
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 5,
      HealthyThresholdCount: 2,
      Matcher: { HttpCode: '200' },
      LoadBalancerArns: [],
    });
  });

  it('modifies health checks and the deregistration delay', async () => {
    const arn = await createTargetGroup();

    const modified = await client.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: arn,
        HealthCheckPath: '/ready',
        Matcher: { HttpCode: '200-299' },
      }),
    );
    const attributes = await client.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: arn,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
      }),
    );

    expect(modified.TargetGroups?.[0]).toMatchObject({
      HealthCheckPath: '/ready',
      Matcher: { HttpCode: '200-299' },
    });
    expect(attributes.Attributes).toContainEqual({
      Key: 'deregistration_delay.timeout_seconds',
      Value: '30',
    });
  });

  it('refuses to delete a target group a listener forwards to (ResourceInUse), and deletes it afterwards', async () => {
    const lb = await createAlb();
    const tg = await createTargetGroup();
    const listener = await forwardListener(lb.LoadBalancerArn, tg);

    const inUse = await errorOf(client.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg })));
    expect(inUse.name).toBe('ResourceInUseException');
    const described = await client.send(
      new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }),
    );
    expect(described.TargetGroups?.[0]?.LoadBalancerArns).toEqual([lb.LoadBalancerArn]);

    await client.send(new DeleteListenerCommand({ ListenerArn: listener }));
    await client.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg }));
    const missing = await errorOf(client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tg] })));
    expect(missing.name).toBe('TargetGroupNotFoundException');
  });

  it('reports targets initial, then healthy after interval × healthy threshold, then draining after deregistration', async () => {
    const lb = await createAlb();
    const tg = await createTargetGroup();
    await client.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tg,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }],
      }),
    );
    // Slow checks (30 s × 5) so that `initial` is observable even on a busy machine.
    await client.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: tg,
        HealthCheckIntervalSeconds: 30,
        HealthyThresholdCount: 5,
      }),
    );
    await forwardListener(lb.LoadBalancerArn, tg);

    await client.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: '10.0.1.10' }] }));
    const initial = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
    expect(initial.TargetHealthDescriptions?.[0]).toMatchObject({
      Target: { Id: '10.0.1.10', Port: 8080 },
      TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress' },
    });
    await eventually(async () => {
      const health = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
      return health.TargetHealthDescriptions?.[0]?.TargetHealth?.State === 'healthy' ? true : undefined;
    });

    await client.send(new DeregisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: '10.0.1.10' }] }));
    const draining = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
    expect(draining.TargetHealthDescriptions?.[0]?.TargetHealth).toMatchObject({
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
    });
    await eventually(async () => {
      const health = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));
      return health.TargetHealthDescriptions?.length === 0 ? true : undefined;
    });
  });

  it('reports targets of a group no listener uses as unused', async () => {
    const tg = await createTargetGroup();

    await client.send(
      new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: '10.0.1.11', Port: 80 }] }),
    );
    const health = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }));

    expect(health.TargetHealthDescriptions?.[0]?.TargetHealth).toMatchObject({
      State: 'unused',
      Reason: 'Target.NotInUse',
    });
  });
});

describe('listeners and rules', () => {
  it('creates an HTTP listener with a fixed 404, idempotently, and DuplicateListener for other settings', async () => {
    const lb = await createAlb();
    const input = {
      LoadBalancerArn: lb.LoadBalancerArn,
      Port: 80,
      Protocol: 'HTTP' as const,
      DefaultActions: [
        {
          Type: 'fixed-response' as const,
          FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'not found' },
        },
      ],
    };

    const first = await client.send(new CreateListenerCommand(input));
    const again = await client.send(new CreateListenerCommand(input));
    const duplicate = await errorOf(
      client.send(
        new CreateListenerCommand({
          ...input,
          DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
        }),
      ),
    );

    expect(first.Listeners?.[0]).toMatchObject({
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', MessageBody: 'not found' } },
      ],
    });
    expect(first.Listeners?.[0]?.ListenerArn).toMatch(
      /:listener\/app\/berth-dev-alb\/[0-9a-f]{16}\/[0-9a-f]{16}$/,
    );
    expect(again.Listeners?.[0]?.ListenerArn).toBe(first.Listeners?.[0]?.ListenerArn);
    expect(duplicate.name).toBe('DuplicateListenerException');
  });

  it('needs a certificate for HTTPS on 443 and redirects 80 to 443', async () => {
    const lb = await createAlb();
    const tg = await createTargetGroup();

    const noCertificate = await errorOf(
      client.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Port: 443,
          Protocol: 'HTTPS',
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
        }),
      ),
    );
    const https = await client.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: certificateArn }],
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
      }),
    );
    const redirect = await client.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [
          { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
        ],
      }),
    );
    const listeners = await client.send(
      new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }),
    );

    expect(noCertificate.name).toBe('ValidationError');
    expect(https.Listeners?.[0]).toMatchObject({
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: certificateArn }],
    });
    expect(https.Listeners?.[0]?.SslPolicy).toBeDefined();
    expect(redirect.Listeners?.[0]?.DefaultActions?.[0]?.RedirectConfig).toMatchObject({
      Protocol: 'HTTPS',
      StatusCode: 'HTTP_301',
    });
    expect(listeners.Listeners?.map((listener) => listener.Port).sort()).toEqual([443, 80]);
  });

  it('modifies a listener default action', async () => {
    const lb = await createAlb();
    const tg = await createTargetGroup();
    const listener = await forwardListener(lb.LoadBalancerArn, tg);

    const modified = await client.send(
      new ModifyListenerCommand({
        ListenerArn: listener,
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      }),
    );

    expect(modified.Listeners?.[0]?.DefaultActions?.[0]?.Type).toBe('fixed-response');
  });

  it('creates path rules, refuses a used priority, lists the default rule last, reorders, modifies and deletes', async () => {
    const lb = await createAlb();
    const api = await createTargetGroup('berth-dev-api');
    const web = await createTargetGroup('berth-dev-web');
    const listener = await forwardListener(lb.LoadBalancerArn, web);
    const rule = await client.send(
      new CreateRuleCommand({
        ListenerArn: listener,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: api }],
      }),
    );
    const ruleArn = rule.Rules?.[0]?.RuleArn ?? '';

    const taken = await errorOf(
      client.send(
        new CreateRuleCommand({
          ListenerArn: listener,
          Priority: 10,
          Conditions: [{ Field: 'host-header', Values: ['api.example.com'] }],
          Actions: [{ Type: 'forward', TargetGroupArn: api }],
        }),
      ),
    );
    const rules = await client.send(new DescribeRulesCommand({ ListenerArn: listener }));
    const reordered = await client.send(
      new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: 5 }] }),
    );
    const modified = await client.send(
      new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: [{ Field: 'path-pattern', Values: ['/v2/*'] }] }),
    );
    const inUse = await errorOf(client.send(new DeleteTargetGroupCommand({ TargetGroupArn: api })));
    await client.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
    const after = await client.send(new DescribeRulesCommand({ ListenerArn: listener }));

    expect(ruleArn).toMatch(/:listener-rule\/app\/berth-dev-alb\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
    expect(taken.name).toBe('PriorityInUseException');
    expect(rules.Rules?.map((r) => [r.Priority, r.IsDefault])).toEqual([
      ['10', false],
      ['default', true],
    ]);
    expect(rules.Rules?.[0]?.Conditions?.[0]).toMatchObject({
      Field: 'path-pattern',
      PathPatternConfig: { Values: ['/api/*'] },
    });
    expect(reordered.Rules?.[0]?.Priority).toBe('5');
    expect(modified.Rules?.[0]?.Conditions?.[0]?.Values).toEqual(['/v2/*']);
    expect(inUse.name).toBe('ResourceInUseException');
    expect(after.Rules?.map((r) => r.Priority)).toEqual(['default']);
  });
});

describe('tags and throttling', () => {
  it('adds and removes tags', async () => {
    const tg = await createTargetGroup();

    await client.send(
      new AddTagsCommand({ ResourceArns: [tg], Tags: [{ Key: 'berth:team', Value: 'payments' }] }),
    );
    await client.send(new RemoveTagsCommand({ ResourceArns: [tg], TagKeys: ['berth:environment'] }));
    const tags = await client.send(new DescribeTagsCommand({ ResourceArns: [tg] }));

    expect(tags.TagDescriptions?.[0]).toEqual({
      ResourceArn: tg,
      Tags: [{ Key: 'berth:team', Value: 'payments' }],
    });
  });

  it('throttles a burst of describes with Throttling / Rate exceeded', async () => {
    // Buckets refill in simulated time: at the tests' tiny scale they never run dry, so use AWS speed.
    services.running.sim.clock.setScale(1);
    const answers = await Promise.allSettled(
      Array.from({ length: 60 }, () => client.send(new DescribeLoadBalancersCommand({}))),
    );
    services.running.sim.clock.setScale(TIME_SCALE);
    const throttled = answers.flatMap((answer) =>
      answer.status === 'rejected'
        ? [answer.reason as Error & { $metadata: { httpStatusCode?: number } }]
        : [],
    );

    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]?.name).toBe('Throttling');
    expect(throttled[0]?.message).toBe('Rate exceeded');
    expect(throttled[0]?.$metadata.httpStatusCode).toBe(400);
  });
});

describe('through the AWS CLI v2', () => {
  it('creates a target group, describes load balancers and reports an error code', async () => {
    const endpoint = services.running.url;
    await createAlb();

    const created = await awsCli(
      [
        'elbv2',
        'create-target-group',
        '--name',
        'cli-tg',
        '--protocol',
        'HTTP',
        '--port',
        '80',
        '--vpc-id',
        network.vpcId,
        '--target-type',
        'ip',
      ],
      { endpoint },
    );
    const described = await awsCli(['elbv2', 'describe-load-balancers', '--names', 'berth-dev-alb'], {
      endpoint,
    });
    const missing = await awsCli(['elbv2', 'describe-target-groups', '--names', 'nope'], { endpoint });

    expect(created.exitCode).toBe(0);
    expect(created.json).toMatchObject({
      TargetGroups: [{ TargetGroupName: 'cli-tg', TargetType: 'ip', Port: 80 }],
    });
    expect(described.json).toMatchObject({
      LoadBalancers: [{ LoadBalancerName: 'berth-dev-alb', Type: 'application' }],
    });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain('TargetGroupNotFound');
  });
});
