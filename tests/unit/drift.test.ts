import {
  builtResourcesSchema,
  driftReport,
  findDifferences,
  type ObservedEnvironment,
  type ObservedService,
} from '../../shared/domain/drift';
import { type EnvironmentRef, environmentTags, names } from '../../shared/domain/naming';
import { type EnvironmentSpec, environmentRequestSchema } from '../../shared/domain/spec';

const env: EnvironmentRef = { id: 'env-01jd5y8q7n3w0s2k4m6p8r0t2v', name: 'shop', team: 'payments' };
const tags = environmentTags(env);

function specWith(overrides: Record<string, unknown> = {}): EnvironmentSpec {
  return environmentRequestSchema.parse({
    name: 'shop',
    team: 'payments',
    services: [{ name: 'web', image: 'nginx:1.27' }],
    ...overrides,
  });
}

/** What AWS reports for a service built exactly as the spec asks. */
function inSync(service: EnvironmentSpec['services'][number]): ObservedService {
  return {
    name: service.name,
    service: { id: service.name, found: true, status: 'ACTIVE', desiredCount: service.desiredCount, tags },
    taskDefinition: {
      id: `${names.taskFamily(env, service.name)}:1`,
      found: true,
      image: service.image,
      cpu: String(service.cpu),
      memory: String(service.memory),
    },
    targetGroup: {
      id: names.targetGroup(env, service.name),
      found: true,
      tags,
      healthCheck: {
        path: service.healthCheck.path,
        intervalSeconds: service.healthCheck.intervalSeconds,
        timeoutSeconds: service.healthCheck.timeoutSeconds,
        healthyThreshold: service.healthCheck.healthyThreshold,
        unhealthyThreshold: service.healthCheck.unhealthyThreshold,
        matcher: service.healthCheck.matcher,
      },
    },
    listenerRule: {
      id: service.name,
      found: true,
      priority: service.routing.priority ?? 100,
      pathPatterns: [...service.routing.pathPatterns],
      hostHeaders: [...service.routing.hostHeaders],
    },
    logGroup: {
      id: names.logGroup(env, service.name),
      found: true,
      retentionDays: service.logging.retentionDays,
    },
  };
}

/** A snapshot of an environment exactly as berth built it from `spec`. */
function observedFor(spec: EnvironmentSpec): ObservedEnvironment {
  const nats = spec.network.natGateways === 'none' ? 0 : spec.network.natGateways === 'single' ? 1 : 2;
  return {
    vpc: { id: 'vpc-1', found: true, tags: { ...tags, Name: 'berth-shop-vpc' } },
    subnets: ['subnet-1', 'subnet-2'].map((id) => ({ id, found: true })),
    natGateways: Array.from({ length: nats }, (_, index) => ({
      id: `nat-${index}`,
      found: true,
      state: 'available',
    })),
    loadBalancer: { id: names.loadBalancer(env), found: true, tags },
    listeners: [{ id: 'HTTP:80', found: true }],
    cluster: { id: names.cluster(env), found: true, tags, containerInsights: 'enabled' },
    services: spec.services.map(inSync),
  };
}

function withService(observed: ObservedEnvironment, change: (service: ObservedService) => ObservedService) {
  const [first, ...rest] = observed.services;
  if (first === undefined) throw new Error('no service observed');
  return { ...observed, services: [change(first), ...rest] };
}

const spec = specWith();
const groupName = names.targetGroup(env, 'web');

describe('findDifferences', () => {
  it('finds nothing when AWS matches the spec', () => {
    expect(findDifferences(env, spec, observedFor(spec))).toEqual([]);
  });

  it('reports a changed desired count with expected and actual', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.service.found ? { ...service, service: { ...service.service, desiredCount: 5 } } : service,
    );
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'service/web', field: 'desiredCount', expected: 1, actual: 5 },
    ]);
  });

  it("reports another image in the service's task definition", () => {
    const observed = withService(observedFor(spec), (service) => ({
      ...service,
      taskDefinition: { id: 'shop-web:2', found: true, image: 'nginx:latest', cpu: '256', memory: '512' },
    }));
    expect(findDifferences(env, spec, observed)).toEqual([
      {
        resource: 'task-definition/shop-web:2',
        field: 'image',
        expected: 'nginx:1.27',
        actual: 'nginx:latest',
      },
    ]);
  });

  it('reports cpu and memory as numbers although ECS answers strings', () => {
    const observed = withService(observedFor(spec), (service) => ({
      ...service,
      taskDefinition: { id: 'shop-web:3', found: true, image: 'nginx:1.27', cpu: '512', memory: '1024' },
    }));
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'task-definition/shop-web:3', field: 'cpu', expected: 256, actual: 512 },
      { resource: 'task-definition/shop-web:3', field: 'memory', expected: 512, actual: 1024 },
    ]);
  });

  it('reports each changed health-check setting of the target group', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.targetGroup.found
        ? {
            ...service,
            targetGroup: {
              ...service.targetGroup,
              healthCheck: { ...service.targetGroup.healthCheck, path: '/healthz', matcher: '200-299' },
            },
          }
        : service,
    );
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: `target-group/${groupName}`, field: 'healthCheck.path', expected: '/', actual: '/healthz' },
      {
        resource: `target-group/${groupName}`,
        field: 'healthCheck.matcher',
        expected: '200',
        actual: '200-299',
      },
    ]);
  });

  it('reports changed intervals, timeouts and thresholds', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.targetGroup.found
        ? {
            ...service,
            targetGroup: {
              ...service.targetGroup,
              healthCheck: {
                ...service.targetGroup.healthCheck,
                intervalSeconds: 30,
                timeoutSeconds: 10,
                healthyThreshold: 5,
                unhealthyThreshold: 3,
              },
            },
          }
        : service,
    );
    expect(
      findDifferences(env, spec, observed).map(({ field, expected, actual }) => [field, expected, actual]),
    ).toEqual([
      ['healthCheck.intervalSeconds', 12, 30],
      ['healthCheck.timeoutSeconds', 5, 10],
      ['healthCheck.healthyThreshold', 2, 5],
      ['healthCheck.unhealthyThreshold', 2, 3],
    ]);
  });

  it('reports changed path patterns of the listener rule, sorted', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.listenerRule.found
        ? { ...service, listenerRule: { ...service.listenerRule, pathPatterns: ['/web/*', '/api/*'] } }
        : service,
    );
    expect(findDifferences(env, spec, observed)).toEqual([
      {
        resource: 'listener-rule/web',
        field: 'pathPatterns',
        expected: ['/*'],
        actual: ['/api/*', '/web/*'],
      },
    ]);
  });

  it('ignores the order of condition values and the case of host names', () => {
    const routed = specWith({
      services: [
        {
          name: 'web',
          image: 'nginx:1.27',
          routing: { pathPatterns: ['/a/*', '/b/*'], hostHeaders: ['Shop.example.com'] },
        },
      ],
    });
    const observed = withService(observedFor(routed), (service) =>
      service.listenerRule.found
        ? {
            ...service,
            listenerRule: {
              ...service.listenerRule,
              pathPatterns: ['/b/*', '/a/*'],
              hostHeaders: ['shop.example.com'],
            },
          }
        : service,
    );
    expect(findDifferences(env, routed, observed)).toEqual([]);
  });

  it('reports changed host headers', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.listenerRule.found
        ? { ...service, listenerRule: { ...service.listenerRule, hostHeaders: ['evil.example.com'] } }
        : service,
    );
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'listener-rule/web', field: 'hostHeaders', expected: [], actual: ['evil.example.com'] },
    ]);
  });

  it('compares the rule priority when the spec gives one', () => {
    const pinned = specWith({ services: [{ name: 'web', image: 'nginx:1.27', routing: { priority: 7 } }] });
    const observed = withService(observedFor(pinned), (service) =>
      service.listenerRule.found
        ? { ...service, listenerRule: { ...service.listenerRule, priority: 8 } }
        : service,
    );
    expect(findDifferences(env, pinned, observed)).toEqual([
      { resource: 'listener-rule/web', field: 'priority', expected: 7, actual: 8 },
    ]);
  });

  it('accepts any priority berth assigned when the spec gives none', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.listenerRule.found
        ? { ...service, listenerRule: { ...service.listenerRule, priority: 4242 } }
        : service,
    );
    expect(findDifferences(env, spec, observed)).toEqual([]);
  });

  it('reports a missing listener rule and compares nothing of it', () => {
    const observed = withService(observedFor(spec), (service) => ({
      ...service,
      listenerRule: { id: 'web', found: false },
    }));
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'listener-rule/web', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports a missing service without comparing its settings', () => {
    const observed = withService(observedFor(spec), ({ taskDefinition: _gone, ...service }) => ({
      ...service,
      service: { id: 'web', found: false },
    }));
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'service/web', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports a service of the spec that the snapshot does not cover as missing', () => {
    const twoServices = specWith({
      services: [
        { name: 'web', image: 'nginx:1.27' },
        { name: 'api', image: 'nginx:1.27', routing: { pathPatterns: ['/api/*'] } },
      ],
    });
    const observed = { ...observedFor(twoServices), services: observedFor(spec).services };
    expect(findDifferences(env, twoServices, observed)).toEqual([
      { resource: 'service/api', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports a service that is not ACTIVE', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.service.found ? { ...service, service: { ...service.service, status: 'DRAINING' } } : service,
    );
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'service/web', field: 'status', expected: 'ACTIVE', actual: 'DRAINING' },
    ]);
  });

  it('reports a deleted task definition revision', () => {
    const observed = withService(observedFor(spec), (service) => ({
      ...service,
      taskDefinition: { id: 'shop-web:1', found: false },
    }));
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'task-definition/shop-web:1', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports a missing target group', () => {
    const observed = withService(observedFor(spec), (service) => ({
      ...service,
      targetGroup: { id: groupName, found: false },
    }));
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: `target-group/${groupName}`, field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports a missing log group', () => {
    const observed = withService(observedFor(spec), (service) => ({
      ...service,
      logGroup: { id: names.logGroup(env, 'web'), found: false },
    }));
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'log-group//berth/payments/shop/web', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports changed log retention, and null for a group that never expires', () => {
    const observed = withService(observedFor(spec), (service) => ({
      ...service,
      logGroup: { id: names.logGroup(env, 'web'), found: true },
    }));
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'log-group//berth/payments/shop/web', field: 'retentionDays', expected: 30, actual: null },
    ]);
  });

  it('reports a removed berth tag on a service', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.service.found
        ? { ...service, service: { ...service.service, tags: { ...tags, 'berth:team': 'search' } } }
        : service,
    );
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'service/web', field: 'tags.berth:team', expected: 'payments', actual: 'search' },
    ]);
  });

  it('reports each missing berth tag of the VPC as null', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      vpc: { id: 'vpc-1', found: true, tags: {} },
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'vpc/vpc-1', field: 'tags.berth:environment', expected: env.id, actual: null },
      { resource: 'vpc/vpc-1', field: 'tags.berth:team', expected: 'payments', actual: null },
      { resource: 'vpc/vpc-1', field: 'tags.berth:managed-by', expected: 'berth', actual: null },
    ]);
  });

  it('ignores tags other than the three berth tags', () => {
    const observed = withService(observedFor(spec), (service) =>
      service.service.found
        ? { ...service, service: { ...service.service, tags: { ...tags, owner: 'someone' } } }
        : service,
    );
    expect(findDifferences(env, spec, observed)).toEqual([]);
  });

  it('reports a removed berth tag on the load balancer', () => {
    const { 'berth:managed-by': _removed, ...rest } = tags;
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      loadBalancer: { id: names.loadBalancer(env), found: true, tags: rest },
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      {
        resource: `load-balancer/${names.loadBalancer(env)}`,
        field: 'tags.berth:managed-by',
        expected: 'berth',
        actual: null,
      },
    ]);
  });

  it('reports a missing VPC', () => {
    const observed: ObservedEnvironment = { ...observedFor(spec), vpc: { id: 'vpc-1', found: false } };
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'vpc/vpc-1', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports a missing subnet', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      subnets: [
        { id: 'subnet-1', found: true },
        { id: 'subnet-2', found: false },
      ],
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'subnet/subnet-2', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports a NAT gateway that was deleted behind berth', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      natGateways: [{ id: 'nat-0', found: true, state: 'deleted' }],
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'nat-gateway/nat-0', field: 'state', expected: 'available', actual: 'deleted' },
    ]);
  });

  it('reports a NAT gateway AWS no longer lists', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      natGateways: [{ id: 'nat-0', found: false }],
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'nat-gateway/nat-0', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports fewer NAT gateways recorded than the mode asks for', () => {
    const perAz = specWith({ network: { natGateways: 'per-az' } });
    const observed: ObservedEnvironment = {
      ...observedFor(perAz),
      natGateways: [{ id: 'nat-0', found: true, state: 'available' }],
    };
    expect(findDifferences(env, perAz, observed)).toEqual([
      { resource: 'vpc/vpc-1', field: 'natGateways', expected: 2, actual: 1 },
    ]);
  });

  it('expects no NAT gateway in mode none', () => {
    const none = specWith({ network: { natGateways: 'none' } });
    expect(findDifferences(env, none, { ...observedFor(none), natGateways: [] })).toEqual([]);
  });

  it('reports a missing load balancer', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      loadBalancer: { id: names.loadBalancer(env), found: false },
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      {
        resource: `load-balancer/${names.loadBalancer(env)}`,
        field: 'exists',
        expected: true,
        actual: false,
      },
    ]);
  });

  it('reports a missing listener', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      listeners: [{ id: 'HTTP:80', found: false }],
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: 'listener/HTTP:80', field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports a missing cluster', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      cluster: { id: names.cluster(env), found: false },
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      { resource: `cluster/${names.cluster(env)}`, field: 'exists', expected: true, actual: false },
    ]);
  });

  it('reports Container Insights turned off', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      cluster: { id: names.cluster(env), found: true, tags, containerInsights: 'disabled' },
    };
    expect(findDifferences(env, spec, observed)).toEqual([
      {
        resource: `cluster/${names.cluster(env)}`,
        field: 'containerInsights',
        expected: 'enabled',
        actual: 'disabled',
      },
    ]);
  });

  it('counts enhanced Container Insights as on', () => {
    const observed: ObservedEnvironment = {
      ...observedFor(spec),
      cluster: { id: names.cluster(env), found: true, tags, containerInsights: 'enhanced' },
    };
    expect(findDifferences(env, spec, observed)).toEqual([]);
  });

  it('reports Container Insights turned on when the spec has it off', () => {
    const off = specWith({ cluster: { containerInsights: false } });
    const observed: ObservedEnvironment = {
      ...observedFor(off),
      cluster: { id: names.cluster(env), found: true, tags, containerInsights: 'enhanced' },
    };
    expect(findDifferences(env, off, observed)).toEqual([
      {
        resource: `cluster/${names.cluster(env)}`,
        field: 'containerInsights',
        expected: 'disabled',
        actual: 'enhanced',
      },
    ]);
  });
});

describe('driftReport', () => {
  it('is not drifted without differences', () => {
    const checkedAt = new Date('2025-01-02T03:04:05.000Z');
    expect(driftReport(env, spec, observedFor(spec), checkedAt)).toEqual({
      environmentId: env.id,
      checkedAt: '2025-01-02T03:04:05.000Z',
      drifted: false,
      differences: [],
    });
  });

  it('is drifted with a difference', () => {
    const observed: ObservedEnvironment = { ...observedFor(spec), vpc: { id: 'vpc-1', found: false } };
    expect(driftReport(env, spec, observed, new Date()).drifted).toBe(true);
  });
});

describe('builtResourcesSchema', () => {
  it('reads the runtime record record-ready writes, ignoring what drift does not compare', () => {
    const runtime = {
      network: {
        vpcId: 'vpc-1',
        cidr: '10.0.0.0/16',
        subnets: { public: ['subnet-1'], app: ['subnet-2'], database: ['subnet-3'] },
        natGateways: [{ id: 'nat-0', allocationId: 'eipalloc-1', subnetId: 'subnet-1' }],
        natCount: 1,
      },
      loadBalancer: {
        arn: 'arn:lb',
        dnsName: 'x',
        httpListenerArn: 'arn:l80',
        targetGroups: { web: 'arn:tg' },
      },
      cluster: { clusterName: 'shop-abc', clusterArn: 'arn:cluster' },
    };
    expect(builtResourcesSchema.parse(runtime)).toEqual({
      network: {
        vpcId: 'vpc-1',
        subnets: { public: ['subnet-1'], app: ['subnet-2'], database: ['subnet-3'] },
        natGateways: [{ id: 'nat-0' }],
      },
      loadBalancer: { arn: 'arn:lb', httpListenerArn: 'arn:l80', targetGroups: { web: 'arn:tg' } },
      cluster: { clusterName: 'shop-abc' },
    });
  });

  it('refuses a record without a load balancer', () => {
    expect(builtResourcesSchema.safeParse({ network: {}, cluster: {} }).success).toBe(false);
  });
});
