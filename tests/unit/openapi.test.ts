import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, serializeOpenApiDocument } from '../../shared/http/openapi';

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

  it('lists the API operations', () => {
    const listed = operations(buildOpenApiDocument()).map(
      ([path, method]) => `${method.toUpperCase()} ${path}`,
    );

    expect(listed.sort()).toEqual(
      [
        'POST /environments',
        'GET /environments',
        'GET /environments/{id}',
        'PATCH /environments/{id}',
        'DELETE /environments/{id}',
        'GET /environments/{id}/events',
        'POST /environments/{id}/tasks',
        'GET /environments/{id}/tasks',
        'GET /environments/{id}/drift',
        'GET /teams/{team}/quotas',
        'PUT /teams/{team}/quotas',
        'PUT /slack/users/{slackTeamId}/{slackUserId}',
        'DELETE /slack/users/{slackTeamId}/{slackUserId}',
        'POST /slack/commands',
        'POST /slack/interactions',
        'GET /openapi.json',
        'GET /health',
      ].sort(),
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
