import { publicHandler } from '../../shared/http/handler';
import { HttpProblem } from '../../shared/http/problem';
import { allowedMethods, endpointPaths, pathPattern } from '../../shared/http/routes';

/**
 * The API's paths and their methods, from the route table: a known path with another method answers
 * 405 with Allow. Built once at init.
 */
const ROUTES = endpointPaths().map((path) => ({ pattern: pathPattern(path), methods: allowedMethods(path) }));

/** Catch-all route: problem+json 404 for unknown paths, 405 for known paths with a wrong method. */
export const handler = publicHandler(async ({ event }) => {
  const route = ROUTES.find(({ pattern }) => pattern.test(event.path));
  if (route && !route.methods.some((method) => method === event.httpMethod)) {
    throw new HttpProblem(
      'method-not-allowed',
      'Method Not Allowed',
      `${event.httpMethod} is not supported on ${event.path}; use ${route.methods.join(', ')}`,
      undefined,
      { Allow: route.methods.join(', ') },
    );
  }
  throw new HttpProblem('not-found', 'Not Found', `no route for ${event.httpMethod} ${event.path}`);
});
