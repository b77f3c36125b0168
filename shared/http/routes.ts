/**
 * The API's routes, typed. `routes.json` is the one place a route is written: its method, its path
 * (OpenAPI form, `{param}`), the serverless function that serves it and whether the JWT authorizer
 * guards it. serverless.yml's http events, the not-found handler's 405 answers, the OpenAPI paths and
 * the tests all derive from it, so adding an endpoint is one line there plus its handler.
 *
 * JSON, not TypeScript, because a CommonJS resolver run by osls reads it too. The not-found bundle
 * imports this module, so it imports nothing but the JSON: no zod at load, a type assertion instead,
 * and tests/unit/routes.test.ts checks that the file has the shape this type claims.
 *
 * The not-found function's own catch-alls (`ANY /`, `ANY /{proxy+}`) are rows too, so every http event
 * is in the table; besides them, each distinct endpoint path gets an `ANY` catch-all to not-found, so
 * a wrong method on a known path answers 405 from the handler rather than API Gateway's 403.
 */
import table from './routes.json';

/** The methods an endpoint may have, in the order an Allow header lists them. */
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type Method = (typeof METHODS)[number];

export interface Route {
  /** `ANY` only for the not-found catch-alls. */
  method: Method | 'ANY';
  /** OpenAPI form: `/environments/{id}`; `{proxy+}` only in the not-found catch-all. */
  path: string;
  /** The serverless.yml function key, e.g. `createEnvironment`. */
  function: string;
  /** Whether the JWT authorizer must pass before the function runs. */
  auth: boolean;
}

/** A route with a concrete method: what the API offers (and documents). */
export interface Endpoint extends Route {
  method: Method;
}

/** Every row of routes.json, in file order. */
export const routes = table as readonly Route[];

/** The routes with a concrete method: everything but the not-found catch-alls. */
export const endpoints: readonly Endpoint[] = routes.filter(
  (route): route is Endpoint => route.method !== 'ANY',
);

/** The distinct endpoint paths, in the order they first appear. */
export function endpointPaths(): string[] {
  return [...new Set(endpoints.map(({ path }) => path))];
}

/** The methods `path` (a path of the table, not a request path) answers, in Allow-header order. */
export function allowedMethods(path: string): Method[] {
  const methods = new Set(endpoints.filter((route) => route.path === path).map(({ method }) => method));
  return METHODS.filter((method) => methods.has(method));
}

/**
 * A pattern matching the request paths of a table path: each `{param}` is one non-empty segment,
 * and a trailing slash is allowed.
 */
export function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) =>
      /^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * The request path of the route a function serves, its `{param}`s filled in (URI-encoded): what a
 * `Location` header points at, e.g. `pathTo('getEnvironment', { id })` → `/environments/env-…`.
 */
export function pathTo(functionKey: string, params: Record<string, string>): string {
  const route = endpoints.find((candidate) => candidate.function === functionKey);
  if (route === undefined) throw new Error(`no route is served by ${functionKey}`);
  return route.path.replace(/\{([^}]+)\}/g, (_placeholder, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.path} needs ${name}`);
    return encodeURIComponent(value);
  });
}
