/**
 * Form-encoded parameters (ec2 and awsQuery) → a nested `OperationInput`.
 *
 * Convention (both protocols): a key is split on `.`; a numeric segment is a 1-based list index, so
 * `Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1` → `{ Filter: [{ Name: 'vpc-id', Value: ['vpc-1'] }] }`
 * and `SubnetId.1=a&SubnetId.2=b` → `{ SubnetId: ['a', 'b'] }`. Lists keep index order; gaps close up.
 * awsQuery only: the `member` segment before an index is dropped (`Subnets.member.1` → `Subnets[0]`),
 * and `X.entry.N.key` / `X.entry.N.value` maps become `{ X: { [key]: value } }`.
 * Every scalar stays a string (the simulator has no schemas); an awsQuery empty list arrives as `X=`,
 * i.e. `''` — read inputs with `input.ts`, which treats that as `[]`.
 */
import type { OperationInput } from '../kernel';

interface Tree {
  [segment: string]: Tree | string;
}

/** Segments that would reach `Object.prototype` are dropped. */
const unsafeSegments = new Set(['__proto__', 'constructor', 'prototype']);

/** Name/value pairs of a form body and a query string (the CLI and SDKs send POST bodies; GET works too). */
export function formPairs(body: string, query: URLSearchParams): Array<[string, string]> {
  return [...query.entries(), ...new URLSearchParams(body).entries()];
}

export function nestFormParams(pairs: Array<[string, string]>, dialect: 'ec2' | 'query'): OperationInput {
  const root: Tree = {};
  for (const [key, value] of pairs) {
    const segments = splitKey(key, dialect);
    if (segments.length === 0 || segments.some((segment) => unsafeSegments.has(segment))) continue;
    let node = root;
    for (const [position, segment] of segments.entries()) {
      if (position === segments.length - 1) {
        if (typeof node[segment] !== 'object') node[segment] = value;
        break;
      }
      const next = node[segment];
      if (typeof next === 'object') node = next;
      else {
        const created: Tree = {};
        node[segment] = created;
        node = created;
      }
    }
  }
  const nested = finish(root, dialect);
  return typeof nested === 'object' && nested !== null && !Array.isArray(nested)
    ? (nested as OperationInput)
    : {};
}

function splitKey(key: string, dialect: 'ec2' | 'query'): string[] {
  const segments = key.split('.');
  if (dialect === 'ec2') return segments;
  return segments.filter(
    (segment, index) => !(segment === 'member' && /^\d+$/.test(segments[index + 1] ?? '')),
  );
}

function finish(node: Tree | string, dialect: 'ec2' | 'query'): unknown {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => finish(node[key] ?? '', dialect));
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const child = node[key];
    if (child !== undefined) out[key] = finish(child, dialect);
  }
  if (dialect === 'query' && keys.length === 1 && Array.isArray(out.entry)) return entriesToMap(out.entry);
  return out;
}

/** awsQuery maps: `[{ key, value }]` → `{ [key]: value }`. */
function entriesToMap(entries: unknown[]): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { key, value } = entry as { key?: unknown; value?: unknown };
    if (typeof key === 'string' && !unsafeSegments.has(key)) map[key] = value;
  }
  return map;
}
