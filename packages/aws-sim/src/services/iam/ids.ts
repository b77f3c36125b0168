/**
 * Stable IAM unique ids: AWS gives each role, policy and instance profile an id of a four-letter
 * prefix (`AROA`, `ANPA`, `AIPA`) and 17 base-32 characters; the simulator derives them from a seed.
 */

/** `<prefix>` and 17 characters of `A-Z2-7` hashed (FNV-1a) from `seed`: the same seed, the same id. */
export function stableIamId(prefix: string, seed: string): string {
  let hash = 2166136261;
  let id = '';
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  for (let round = 0; id.length < 17; round += 1) {
    for (const character of `${seed}#${round}`)
      hash = Math.imul(hash ^ (character.codePointAt(0) ?? 0), 16777619);
    id += alphabet[(hash >>> 0) % alphabet.length];
  }
  return `${prefix}${id}`;
}
