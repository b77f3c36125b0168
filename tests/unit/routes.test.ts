/**
 * The route table (shared/http/routes.json) and the not-found handler derived from it. routes.ts only
 * asserts the JSON's type (no validation at load), so the first tests check that the file really has
 * that shape; the rest check that the catch-all answers 404 and 405 from the table.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handler } from '../../functions/api/not-found';
import {
  allowedMethods,
  endpointPaths,
  endpoints,
  METHODS,
  pathPattern,
  pathTo,
  routes,
} from '../../shared/http/routes';
import table from '../../shared/http/routes.json';

/** A request path for a table path: each `{param}` filled in. */
const requestPath = (path: string) => path.replace(/\{[^}]+\}/g, 'x-1');

/** What the not-found function answers to `method path`, as API Gateway's catch-all hands it over. */
function send(method: string, path: string): Promise<APIGatewayProxyResult> {
  const context = {
    functionName: 'berth-test',
    awsRequestId: 'request-1',
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
  return handler(request(method, path), context);
}

function request(method: string, path: string): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: '/{proxy+}',
    headers: {},
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

describe('the route table', () => {
  const rows: unknown[] = table;

  it('has exactly method, path, function and auth in every row', () => {
    const misshapen = rows.filter(
      (row) =>
        row === null ||
        typeof row !== 'object' ||
        Object.keys(row).sort().join() !== 'auth,function,method,path' ||
        !('method' in row && typeof row.method === 'string') ||
        !('path' in row && typeof row.path === 'string') ||
        !(
          'function' in row &&
          typeof row.function === 'string' &&
          /^[a-z][A-Za-z0-9]*$/.test(row.function)
        ) ||
        !('auth' in row && typeof row.auth === 'boolean'),
    );

    expect(rows.length).toBeGreaterThan(10);
    expect(misshapen).toEqual([]);
  });

  it('names upper-case HTTP methods, and ANY only for the not-found catch-alls', () => {
    const known: string[] = [...METHODS];

    const wrong = routes.filter((route) =>
      route.method === 'ANY' ? route.function !== 'notFound' : !known.includes(route.method),
    );

    expect(wrong).toEqual([]);
  });

  it('writes paths in OpenAPI form: a leading slash, no trailing one, {param} segments', () => {
    const segment = /^([A-Za-z0-9._-]+|\{[A-Za-z][A-Za-z0-9]*\})$/;

    const wrong = endpoints.filter(
      ({ path }) =>
        !path.startsWith('/') ||
        !path
          .slice(1)
          .split('/')
          .every((part) => segment.test(part)),
    );

    expect(wrong).toEqual([]);
  });

  it('lists each method and path once', () => {
    const keys = routes.map(({ method, path }) => `${method} ${path}`);

    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
  });

  it('gives the not-found function the root and every other path, without a token', () => {
    const catchAlls = routes.filter((route) => route.function === 'notFound');

    expect(catchAlls).toEqual([
      { method: 'ANY', path: '/', function: 'notFound', auth: false },
      { method: 'ANY', path: '/{proxy+}', function: 'notFound', auth: false },
    ]);
  });

  it('lists allowed methods in Allow-header order, whatever the order of the rows', () => {
    // /environments has POST before GET in the file.
    expect(allowedMethods('/environments')).toEqual(['GET', 'POST']);
    expect(allowedMethods('/no/such/path')).toEqual([]);
  });
});

describe('the not-found handler', () => {
  it.each(endpointPaths())('answers 405 with Allow for a method %s does not have', async (path) => {
    // Prepare
    const allowed = allowedMethods(path);
    const others = METHODS.filter((method) => !allowed.includes(method));

    for (const method of others) {
      for (const sent of [requestPath(path), `${requestPath(path)}/`]) {
        // Act
        const reply = await send(method, sent);

        // Assess
        expect(reply.statusCode).toBe(405);
        expect(reply.headers?.Allow).toBe(allowed.join(', '));
        expect(reply.headers?.['Content-Type']).toBe('application/problem+json; charset=utf-8');
        expect(JSON.parse(reply.body)).toMatchObject({
          type: 'urn:berth:problem:method-not-allowed',
          status: 405,
          detail: `${method} is not supported on ${sent}; use ${allowed.join(', ')}`,
        });
      }
    }
  });

  it('answers PUT /environments with 405 and Allow: GET, POST', async () => {
    const reply = await send('PUT', '/environments');

    expect(reply.statusCode).toBe(405);
    expect(reply.headers?.Allow).toBe('GET, POST');
  });

  it.each([
    ['GET', '/'],
    ['GET', '/nothing-here'],
    ['POST', '/environments/x-1/unknown'],
    ['DELETE', '/environments//events'],
    ['GET', '/v1/environments'],
  ])('answers %s %s with a problem+json 404', async (method, path) => {
    const reply = await send(method, path);

    expect(reply.statusCode).toBe(404);
    expect(reply.headers?.Allow).toBeUndefined();
    expect(reply.headers?.['Content-Type']).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(reply.body)).toMatchObject({
      type: 'urn:berth:problem:not-found',
      status: 404,
      detail: `no route for ${method} ${path}`,
    });
  });
});

describe('paths to a resource', () => {
  it("fills in a route's parameters: a Location header points where GET answers", () => {
    // Prepare
    const id = 'env-01jx0000000000000000000000';

    // Act
    const location = pathTo('getEnvironment', { id });

    // Assess
    expect(location).toBe(`/environments/${id}`);
    expect(
      pathPattern(routes.find((route) => route.function === 'getEnvironment')?.path ?? '').test(location),
    ).toBe(true);
  });

  it('refuses a function no route serves, and a missing parameter', () => {
    // Act / Assess
    expect(() => pathTo('recordStatus', {})).toThrow('no route is served by recordStatus');
    expect(() => pathTo('getEnvironment', {})).toThrow('/environments/{id} needs id');
  });
});
