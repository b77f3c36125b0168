/**
 * Switches for AWS rules the simulator once modelled more kindly than AWS, each on by default as AWS
 * behaves (control API `GET/PUT /_local/strictness`; docs/aws-facts.md#task-definitions-ami-architecture-and-derived-names):
 * - `exactTaskFamily`: ListTaskDefinitions' `familyPrefix` is the exact family (off: a prefix, as the
 *   simulator used to match);
 * - `taskDefinitionSize`: RegisterTaskDefinition refuses a request over 64 KiB;
 * - `amiArchitecture`: Auto Scaling refuses a launch template whose AMI architecture is not the
 *   instance type's.
 * Kept per simulator (keyed by its store), so simulators in one process do not share them.
 */
import type { SimContext } from '../kernel';

export interface Strictness {
  exactTaskFamily: boolean;
  taskDefinitionSize: boolean;
  amiArchitecture: boolean;
}

const DEFAULTS: Strictness = { exactTaskFamily: true, taskDefinitionSize: true, amiArchitecture: true };

const settings = new WeakMap<object, Strictness>();

/** The current switches of this simulator. */
export function strictness(ctx: SimContext): Strictness {
  return { ...DEFAULTS, ...settings.get(ctx.store) };
}

/** Changes the switches named in `body` (each a boolean); answers them all. Throws on anything else. */
export function updateStrictness(ctx: SimContext, body: unknown): Strictness {
  if (typeof body !== 'object' || body === null) throw new Error('body must be an object');
  const next = strictness(ctx);
  for (const [key, value] of Object.entries(body)) {
    if (!(key in DEFAULTS)) throw new Error(`unknown switch ${key}: use ${Object.keys(DEFAULTS).join(', ')}`);
    if (typeof value !== 'boolean') throw new Error(`${key} must be true or false`);
    next[key as keyof Strictness] = value;
  }
  settings.set(ctx.store, next);
  return next;
}
