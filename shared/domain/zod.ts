/**
 * The zod that Lambda code validates with: `zod/mini`, whose functions esbuild tree-shakes, where
 * classic `zod` (methods on every schema) puts all of itself, ≈460 KiB minified, in every bundle.
 * Schema modules import this module as a namespace (`import * as z from './zod'`) and never 'zod/mini'
 * itself, so whatever loads a schema has run the configuration below before the schema is built.
 *
 * Keep it `import * as z` and `export *`: esbuild tree-shakes property accesses on a namespace import,
 * but not on a namespace object passed along by name (zod/mini's own `z` export, or `export { z }`
 * here), which brings the whole library and its 50 locales back.
 *
 * Classic zod configures itself when its first schema is built; zod/mini does not, so this module
 * does what classic would:
 * - the English messages ("Too big: expected string to have <=20 characters"), which problem+json
 *   reports; without a locale every message would be "Invalid input";
 * - the memoizer, which lets a parse end on an input that contains a reference cycle (read when a
 *   container schema is built, so it must be set before any schema exists).
 */
import { en } from 'zod/locales';
import { config, globalRegistry, memoizer, type ZodMiniType } from 'zod/mini';
import type { GlobalMeta } from 'zod/v4/core';

config(en());
config({ memoizer: memoizer() });

export * from 'zod/mini';

/**
 * `schema.meta(metadata)` of classic zod: a copy of `schema` with `metadata` in the global registry
 * (descriptions and examples in the OpenAPI document). A copy, so one schema can carry different
 * metadata where it is used in different places.
 */
export function meta<T extends ZodMiniType>(schema: T, metadata: GlobalMeta): T {
  const copy = schema.clone();
  globalRegistry.add(copy, metadata);
  return copy;
}
