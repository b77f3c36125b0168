import full from '../../examples/full.json';
import {
  APPLIED_FIELDS,
  applyMergePatch,
  changedSettings,
  IMMUTABLE_FIELDS,
  immutableChanges,
  immutableReason,
} from '../../shared/domain/patch';
import { type EnvironmentSpec, environmentRequestSchema, formatIssues } from '../../shared/domain/spec';
import * as z from '../../shared/domain/zod';

function ec2(overrides: Record<string, unknown> = {}) {
  return {
    capacity: 'EC2',
    ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 3, desiredCapacity: 1, ...overrides },
  };
}

function dns(overrides: Record<string, unknown> = {}) {
  return { hostedZoneId: 'Z0123456789ABC', recordName: 'shop.example.com', ...overrides };
}

function spec(overrides: Record<string, unknown> = {}): EnvironmentSpec {
  return environmentRequestSchema.parse({
    name: 'shop',
    team: 'payments',
    services: [{ name: 'api', image: 'nginx:1.27' }],
    ...overrides,
  });
}

describe('applyMergePatch', () => {
  // RFC 7396 Appendix A, one row each.
  it.each<[unknown, unknown, unknown]>([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('merges %j with %j into %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('modifies neither argument', () => {
    // Prepare
    const target = { a: { b: 1 }, list: [1] };
    const patch = { a: { c: 2 }, list: [2] };

    // Act
    applyMergePatch(target, patch);

    // Assess
    expect(target).toEqual({ a: { b: 1 }, list: [1] });
    expect(patch).toEqual({ a: { c: 2 }, list: [2] });
  });

  it('keeps a __proto__ key as a field for the schema to refuse', () => {
    // Prepare
    const patch: unknown = JSON.parse('{"__proto__": {"polluted": true}}');

    // Act
    const merged = applyMergePatch(spec(), patch);
    const result = environmentRequestSchema.safeParse(merged);

    // Assess
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(result.success ? [] : formatIssues(result.error)).toEqual([
      { path: '/__proto__', message: 'is not a known field' },
    ]);
  });

  it('replaces the services array whole', () => {
    const services = [{ name: 'solo', image: 'app:1' }];

    const merged = applyMergePatch(environmentRequestSchema.parse(full), { services });

    expect(merged).toHaveProperty('services', services);
  });

  it('restores a default when a patch sets the field to null', () => {
    const merged = applyMergePatch(spec({ network: { natGateways: 'per-az' } }), {
      network: { natGateways: null },
    });

    expect(environmentRequestSchema.parse(merged).network.natGateways).toBe('single');
  });
});

describe('immutableChanges', () => {
  it('allows changes to mutable fields', () => {
    const before = spec();
    const after = spec({
      services: [{ name: 'api', image: 'nginx:1.28', desiredCount: 4 }],
      network: { allowedIngressCidrs: ['203.0.113.0/24'] },
      loadBalancer: { idleTimeoutSeconds: 300 },
      cluster: { containerInsights: false },
      ticket: 'OPS-2',
    });

    expect(immutableChanges(before, after)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['name', {}, { name: 'shop-two' }],
    ['team', {}, { team: 'billing' }],
    ['network.cidr', { network: { cidr: '10.1.0.0/16' } }, { network: { cidr: '10.2.0.0/16' } }],
    ['network.cidr', { network: { cidr: '10.1.0.0/16' } }, { network: { cidr: 'auto' } }],
    ['network.cidr', {}, { network: { cidr: '10.2.0.0/16' } }],
    ['network.availabilityZones', {}, { network: { availabilityZones: 3 } }],
    ['cluster.capacity', {}, { cluster: { capacity: 'FARGATE_SPOT' } }],
    ['network.natGateways', {}, { network: { natGateways: 'per-az' } }],
    ['network.natGateways', { network: { natGateways: 'none' } }, { network: { natGateways: 'single' } }],
    ['loadBalancer.scheme', {}, { loadBalancer: { scheme: 'internal' } }],
    ['tags', { tags: { a: 'b' } }, { tags: { a: 'c' } }],
    ['tags', {}, { tags: { a: 'b' } }],
    ['cluster.ec2.instanceType', { cluster: ec2() }, { cluster: ec2({ instanceType: 'm7g.large' }) }],
    ['cluster.ec2.amiId', { cluster: ec2() }, { cluster: ec2({ amiId: 'ami-0abcdef1234567890' }) }],
    ['cluster.ec2.rootVolumeGiB', { cluster: ec2() }, { cluster: ec2({ rootVolumeGiB: 60 }) }],
    ['cluster.ec2.keyPair', { cluster: ec2() }, { cluster: ec2({ keyPair: 'ops' }) }],
    ['dns.recordName', { dns: dns() }, { dns: dns({ recordName: 'other.example.com' }) }],
    ['dns.hostedZoneId', { dns: dns() }, { dns: dns({ hostedZoneId: 'Z0OTHER' }) }],
  ])('names %s when it changes', (path, before, after) => {
    expect(immutableChanges(spec(before), spec(after))).toEqual([path]);
  });

  it('names both fields of a DNS record the update removes', () => {
    expect(immutableChanges(spec({ dns: dns() }), spec())).toEqual(['dns.hostedZoneId', 'dns.recordName']);
  });

  it('accepts a DNS record added to an environment without one', () => {
    expect(immutableChanges(spec(), spec({ dns: dns() }))).toEqual([]);
  });

  it('accepts EC2 capacity resized within the same launch template', () => {
    const after = spec({ cluster: ec2({ minSize: 2, maxSize: 6, desiredCapacity: 3 }) });

    expect(immutableChanges(spec({ cluster: ec2() }), after)).toEqual([]);
  });

  it('says why a field cannot change, for the 422 beside it', () => {
    expect(immutableReason('loadBalancer.scheme')).toMatch(/scheme cannot be modified/);
    expect(immutableReason('network.natGateways')).toMatch(/create a new environment/);
  });

  it('accepts an automatic CIDR that stays automatic', () => {
    expect(
      immutableChanges(
        spec({ network: { cidr: 'auto' } }),
        spec({ network: { allowedIngressCidrs: ['10.0.0.0/8'] } }),
      ),
    ).toEqual([]);
  });

  it('names every immutable field that changes, in a stable order', () => {
    const after = spec({
      name: 'other',
      network: { availabilityZones: 3 },
      cluster: { capacity: 'FARGATE_SPOT' },
    });

    expect(immutableChanges(spec(), after)).toEqual([
      'name',
      'network.availabilityZones',
      'cluster.capacity',
    ]);
  });
});

describe('changedSettings', () => {
  it('lists the applied settings an update changes, and nothing for an unchanged spec', () => {
    // Prepare
    const before = spec({ cluster: ec2() });
    const after = spec({
      cluster: { ...ec2({ desiredCapacity: 2 }), containerInsights: false },
      loadBalancer: { idleTimeoutSeconds: 120 },
    });

    // Act
    const changed = changedSettings(before, after);

    // Assess
    expect(changed.sort()).toEqual(
      ['cluster.containerInsights', 'cluster.ec2.desiredCapacity', 'loadBalancer.idleTimeoutSeconds'].sort(),
    );
    expect(changedSettings(before, before)).toEqual([]);
  });
});

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  type?: string;
  items?: JsonSchema;
};

/**
 * The leaf fields of a JSON Schema as dotted paths (`services[].healthCheck.path`): objects with
 * properties are descended into, every option of a union, and the items of arrays of objects; records
 * (tags, environment) and arrays of scalars are leaves, as a merge patch replaces them whole.
 */
function leafPaths(schema: JsonSchema, prefix = ''): string[] {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return [...new Set(options.flatMap((option) => leafPaths(option, prefix)))];
  if (schema.properties) {
    return Object.entries(schema.properties).flatMap(([key, value]) =>
      leafPaths(value, prefix === '' ? key : `${prefix}.${key}`),
    );
  }
  if (schema.type === 'array' && schema.items && (schema.items.properties || schema.items.anyOf)) {
    return leafPaths(schema.items, `${prefix}[]`);
  }
  return [prefix];
}

describe('every field PATCH accepts is applied or refused', () => {
  const leaves = leafPaths(z.toJSONSchema(environmentRequestSchema, { io: 'input' }) as JsonSchema);
  const immutable = IMMUTABLE_FIELDS.map((field) => field.path);
  const applied = Object.keys(APPLIED_FIELDS);

  it('finds the leaf fields of the spec, nested and in arrays', () => {
    // A walk that found nothing would make the next test pass vacuously.
    expect(leaves).toEqual(
      expect.arrayContaining([
        'name',
        'network.natGateways',
        'services[].healthCheck.path',
        'jobs[].trigger.queue.maxReceiveCount',
      ]),
    );
    expect(leaves.length).toBeGreaterThan(50);
  });

  it('lists each leaf field of the spec as immutable or as applied by a named step', () => {
    const unaccounted = leaves.filter((path) => !immutable.includes(path) && !applied.includes(path));

    expect(unaccounted).toEqual([]);
  });

  it('lists no field as both immutable and applied', () => {
    expect(immutable.filter((path) => applied.includes(path))).toEqual([]);
  });

  it('lists only fields the spec has', () => {
    expect([...immutable, ...applied].filter((path) => !leaves.includes(path))).toEqual([]);
  });
});
