/**
 * The stack's functions as infra/stack.js declares them for osls, so tests and benchmarks find a
 * function's handler module by its key instead of keeping their own list of paths.
 */
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

interface InfraStack {
  functions(): Record<string, { handler: string; events?: Array<Record<string, unknown>> }>;
}

/** serverless.yml's `functions`: each key's handler (`functions/api/x.handler`), settings and events. */
export function stackFunctions(): ReturnType<InfraStack['functions']> {
  return (require(join(ROOT, 'infra', 'stack.js')) as InfraStack).functions();
}

/** The module and export of a function's handler: `functions/api/x.handler` → `<root>/functions/api/x`, `handler`. */
export function handlerOf(functionKey: string): { module: string; exportName: string } {
  const handler = stackFunctions()[functionKey]?.handler;
  if (handler === undefined) throw new Error(`no function ${functionKey} in infra/`);
  const dot = handler.lastIndexOf('.');
  return { module: join(ROOT, handler.slice(0, dot)), exportName: handler.slice(dot + 1) };
}
