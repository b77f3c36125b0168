import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, serializeOpenApiDocument } from '../../shared/http/openapi';
import { endpointPaths, endpoints } from '../../shared/http/routes';

const COMMITTED = join(__dirname, '..', '..', 'docs', 'openapi.json');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every `$ref` string anywhere in `value`. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (!isNode(value)) return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === '$ref' && typeof item === 'string' ? [item] : refsIn(item),
  );
}

/** Resolves a local JSON Pointer reference (`#/components/…`) in `document`, or undefined. */
function resolve(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (isNode(node) ? node[key] : undefined), document);
}

function operations(document: ReturnType<typeof buildOpenApiDocument>): [string, string, Node][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .flatMap(([method, operation]) =>
        isNode(operation) ? [[path, method, operation] as [string, string, Node]] : [],
      ),
  );
}

describe('OpenAPI document', () => {
  it('matches the committed docs/openapi.json (run `npx tsx scripts/openapi.ts` after changing a schema)', () => {
    // Prepare
    const committed = readFileSync(COMMITTED, 'utf8');

    // Act
    const fresh = serializeOpenApiDocument(buildOpenApiDocument());

    // Assess
    expect(committed).toBe(fresh);
  });

  it('declares OpenAPI 3.1', () => {
    expect(buildOpenApiDocument().openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('resolves every $ref', () => {
    const document = buildOpenApiDocument();

    const refs = refsIn(document);

    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((ref) => resolve(document, ref) === undefined)).toEqual([]);
  });

  it('gives every operation at least one response', () => {
    const empty = operations(buildOpenApiDocument())
      .filter(
        ([, , operation]) => !isNode(operation.responses) || Object.keys(operation.responses).length === 0,
      )
      .map(([path, method]) => `${method} ${path}`);

    expect(empty).toEqual([]);
  });

  it('documents every route of the table with its method, and nothing else', () => {
    // Prepare
    const table = endpoints.map(({ method, path }) => `${method} ${path}`);

    // Act
    const listed = operations(buildOpenApiDocument()).map(
      ([path, method]) => `${method.toUpperCase()} ${path}`,
    );

    // Assess
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.sort()).toEqual(table.sort());
  });

  it('asks for a bearer token on exactly the routes the authorizer guards', () => {
    const security = operations(buildOpenApiDocument()).map(([path, method, operation]) => ({
      route: `${method.toUpperCase()} ${path}`,
      security: operation.security,
    }));

    expect(security.sort((a, b) => a.route.localeCompare(b.route))).toEqual(
      endpoints
        .map(({ method, path, auth }) => ({
          route: `${method} ${path}`,
          security: auth ? [{ bearerAuth: [] }] : [],
        }))
        .sort((a, b) => a.route.localeCompare(b.route)),
    );
  });

  it("declares every path's {param}s as path parameters of the same name", () => {
    const document = buildOpenApiDocument();

    const declared = Object.entries(document.paths).map(([path, item]) => ({
      path,
      names: (Array.isArray(item.parameters) ? item.parameters : [])
        .flatMap((parameter) => refsIn(parameter).map((ref) => resolve(document, ref)))
        .filter((parameter) => isNode(parameter) && parameter.in === 'path')
        .map((parameter) => (isNode(parameter) ? parameter.name : undefined)),
    }));

    expect(declared).toEqual(
      endpointPaths().map((path) => ({
        path,
        names: [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => name),
      })),
    );
  });

  it('requires a bearer token everywhere except /health, /openapi.json and the Slack-signed endpoints', () => {
    const open = operations(buildOpenApiDocument())
      .filter(([, , operation]) => Array.isArray(operation.security) && operation.security.length === 0)
      .map(([path]) => path);

    expect(open.sort()).toEqual(['/health', '/openapi.json', '/slack/commands', '/slack/interactions']);
  });

  it('describes the request with defaulted fields optional and the stored spec with them present', () => {
    const { schemas } = buildOpenApiDocument().components;

    expect(schemas.EnvironmentRequest?.required).toEqual(['name', 'team', 'services']);
    expect(schemas.EnvironmentSpec?.required).toEqual(
      expect.arrayContaining(['network', 'cluster', 'loadBalancer', 'jobs', 'tags']),
    );
  });

  it('answers problems as application/problem+json', () => {
    const { responses } = buildOpenApiDocument().components;

    const types = Object.values(responses).map((response) =>
      isNode(response) && isNode(response.content) ? Object.keys(response.content) : [],
    );

    expect(new Set(types.flat())).toEqual(new Set(['application/problem+json']));
  });

  it('builds the same document every time', () => {
    expect(serializeOpenApiDocument(buildOpenApiDocument())).toBe(
      serializeOpenApiDocument(buildOpenApiDocument()),
    );
  });
});
