/**
 * PATCH semantics: the body is a JSON Merge Patch (RFC 7396) of the environment request. Objects
 * merge key by key, `null` removes a key (so its default applies again on re-parse), and anything
 * else — arrays included — replaces the value whole. The merged document is validated again with
 * the spec schema; `immutableChanges` then lists what an update cannot change in place.
 */
import type { EnvironmentSpec } from './spec';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * RFC 7396 §2 MergePatch(target, patch). Pure: neither argument is modified. Keys are copied with
 * `Object.fromEntries` (define, not assign), so a `__proto__` key in a body stays an ordinary key
 * for the strict schema to reject instead of changing a prototype.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result = new Map<string, unknown>(isObject(target) ? Object.entries(target) : []);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key);
    else result.set(key, applyMergePatch(result.get(key), value));
  }
  return Object.fromEntries(result);
}

/** Fields an update cannot change: they decide the VPC, the cluster or the records' identity. */
const IMMUTABLE_FIELDS: readonly { path: string; read: (spec: EnvironmentSpec) => unknown }[] = [
  { path: 'name', read: (spec) => spec.name },
  { path: 'team', read: (spec) => spec.team },
  // "auto" stays "auto" (the allocated block lives in resources); any other change re-addresses the VPC.
  { path: 'network.cidr', read: (spec) => spec.network.cidr },
  { path: 'network.availabilityZones', read: (spec) => spec.network.availabilityZones },
  { path: 'cluster.capacity', read: (spec) => spec.cluster.capacity },
];

/**
 * The dotted paths (`network.cidr`) of fields that differ between `before` and `after` but cannot
 * change in place; empty when the update may proceed. The API answers 422 naming them.
 */
export function immutableChanges(before: EnvironmentSpec, after: EnvironmentSpec): string[] {
  return IMMUTABLE_FIELDS.filter(({ read }) => read(before) !== read(after)).map(({ path }) => path);
}
