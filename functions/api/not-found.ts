import { publicHandler } from '../../shared/http/handler';
import { HttpProblem } from '../../shared/http/problem';

/** The API's routes and their methods: a known path with another method answers 405 with Allow. */
const ROUTES: { pattern: RegExp; methods: string[] }[] = [
  { pattern: /^\/environments\/?$/, methods: ['GET', 'POST'] },
  { pattern: /^\/environments\/[^/]+\/?$/, methods: ['GET', 'PATCH', 'DELETE'] },
  { pattern: /^\/environments\/[^/]+\/events\/?$/, methods: ['GET'] },
  { pattern: /^\/environments\/[^/]+\/tasks\/?$/, methods: ['GET', 'POST'] },
  { pattern: /^\/environments\/[^/]+\/drift\/?$/, methods: ['GET'] },
  { pattern: /^\/teams\/[^/]+\/quotas\/?$/, methods: ['GET', 'PUT'] },
  { pattern: /^\/slack\/commands\/?$/, methods: ['POST'] },
  { pattern: /^\/slack\/interactions\/?$/, methods: ['POST'] },
  { pattern: /^\/slack\/users\/[^/]+\/[^/]+\/?$/, methods: ['PUT', 'DELETE'] },
  { pattern: /^\/openapi\.json$/, methods: ['GET'] },
  { pattern: /^\/health$/, methods: ['GET'] },
];

/** Catch-all route: problem+json 404 for unknown paths, 405 for known paths with a wrong method. */
export const handler = publicHandler(async ({ event }) => {
  const route = ROUTES.find(({ pattern }) => pattern.test(event.path));
  if (route && !route.methods.includes(event.httpMethod)) {
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
