import full from '../../examples/full.json';
import { applyMergePatch, immutableChanges } from '../../shared/domain/patch';
import { type EnvironmentSpec, environmentRequestSchema, formatIssues } from '../../shared/domain/spec';

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
      tags: { a: 'b' },
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
  ])('names %s when it changes', (path, before, after) => {
    expect(immutableChanges(spec(before), spec(after))).toEqual([path]);
  });

  it('accepts an automatic CIDR that stays automatic', () => {
    expect(
      immutableChanges(spec({ network: { cidr: 'auto' } }), spec({ network: { natGateways: 'none' } })),
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
