/**
 * Hostile requests for the reliability suite, shared by the in-process fuzzer (fuzz.test.ts) and the
 * share sent through the real stack (authorization.test.ts): one description of a request, generated
 * per endpoint of docs/openapi.json, and the checks every answer must pass (no 5xx, RFC 9457 errors).
 *
 * Bodies are built as JSON *text*, not values, so that duplicate keys, `__proto__` keys, numbers
 * JSON.stringify cannot write (1e309) and broken JSON reach the API exactly as an attacker sends them.
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import openapi from '../../docs/openapi.json';

/** `BERTH_RELIABILITY=full` (npm run test:reliability) runs the full counts; `npm test` a sample. */
export const FULL = process.env.BERTH_RELIABILITY === 'full';

export function runs(sample: number, full: number): number {
  return FULL ? full : sample;
}

/** `BERTH_FUZZ_SEED=<seed>` replays the runs of a reported failure (fast-check prints the seed). */
export function seedOption(): { seed?: number } {
  const seed = Number(process.env.BERTH_FUZZ_SEED);
  return Number.isInteger(seed) ? { seed } : {};
}

/** Who the request claims to be: the tests map each to a token or an authorizer context. */
export type CallerKind = 'member' | 'other' | 'admin' | 'none' | 'garbage';

export interface FuzzRequest {
  /** The operation the request was generated for (`GET /environments/{id}`), or `random`. */
  operation: string;
  method: string;
  /** Path segments as they appear on the wire, already percent-encoded where needed. */
  path: string;
  query: [string, string][];
  headers: [string, string][];
  body?: string;
  caller: CallerKind;
}

export interface FuzzIds {
  /** Member team environments: one READY (PATCH can succeed), one REQUESTED. */
  ready: string;
  requested: string;
  /** An environment of a team the member is not in. */
  foreign: string;
}

export interface FuzzTeams {
  member: string;
  /** A second team of the member. */
  second: string;
  other: string;
}

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

const HUGE = [
  'a'.repeat(64 * 1024 - 1),
  'b'.repeat(64 * 1024),
  'c'.repeat(64 * 1024 + 1),
  'é'.repeat(40 * 1024),
  '\u{1F4A9}'.repeat(20 * 1024),
  'x'.repeat(200 * 1024),
];

export const INJECTIONS: readonly string[] = [
  "' OR '1'='1",
  "'; DROP TABLE berth; --",
  '" OR ""="',
  '1; SELECT * FROM users',
  '{"$ne":null}',
  '{"$gt":""}',
  '[$ne]=1',
  '$where: sleep(1000)',
  '$(touch /tmp/berth-pwned)',
  '`id`',
  '; cat /etc/passwd',
  '| nc 127.0.0.1 9 -e /bin/sh',
  '&& rm -rf /',
  // Log4Shell-style lookups: plain strings on purpose, never interpolated.
  `$\{jndi:ldap://127.0.0.1:1/a}`,
  `$\{env:AWS_SECRET_ACCESS_KEY}`,
  '{{7*7}}',
  '<%= 7*7 %>',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '%00',
  'a\u0000b',
  '\r\nSet-Cookie: x=1',
  '\u202Egnp.exe',
  '\u200B\u200C\u200D\uFEFF',
  '\u0645\u0631\u062D\u0628\u0627',
  '\uD800',
  'a\uDC00b',
  '\uDBFF\uDFFF',
  'Ω≈ç√∫˜µ≤≥÷',
  'ﷺ',
  '\u0301\u0301\u0301',
  '',
  ' ',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  'true',
  'arn:aws:iam::000000000000:role/admin',
  'TEAM#payments',
  'ENV#env-00000000000000000000000000',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 10 }))
      .map(([injection, tail]) => `${injection}${tail}`),
  },
);

/** A value as JSON text (a fragment of a body). */
export const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: hostileString.map((text) => JSON.stringify(text)) },
  { weight: 2, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '1e309',
      '-1e309',
      '-0',
      '1e-400',
      '123456789012345678901234567890',
      '9007199254740993',
      '0.5',
      '-1',
      'true',
      'false',
      'null',
      '[]',
      '{}',
      '""',
      '{"$ne":null}',
      '{"$gt":""}',
      '{"__proto__":{"admin":true,"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '[{"__proto__":{"polluted":"yes"}}]',
      '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    ),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  {
    weight: 1,
    arbitrary: fc.array(hostileString, { maxLength: 5 }).map((items) => JSON.stringify(items)),
  },
);

/** `{"k":v,…}` from entries as given: duplicate and `__proto__` keys stay in the text. */
export function objectText(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

/** Bodies that break the transport rules: not JSON, broken JSON, too big, empty. */
export const brokenBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"name":',
    '{"name":"a",}',
    "{'name':'a'}",
    '{name:"a"}',
    'NaN',
    'undefined',
    '\uFEFF{"name":"a"}',
    '{"a":1}{"b":2}',
    '[1,2,',
    '"\\ud800"',
    '{"a":"\\u00"}',
    'name=web&team=payments',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    '\u0000\u0001\u0002',
    '--boundary\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--boundary--',
    `{"tags":{"big":"${'x'.repeat(70_000)}"}}`,
    `{"name":"${'é'.repeat(33_000)}"}`,
    `[${'0,'.repeat(40_000)}0]`,
    `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
    ' ',
  ),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/json;;;charset=utf-16',
  'application/problem+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=boundary',
  'application/xml',
  'application/javascript',
  '*/*',
  'json',
  '',
  'application/json\u0000',
  'application/json, text/plain',
];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND'];

// ---------------------------------------------------------------------------------------------
// Per-endpoint generators
// ---------------------------------------------------------------------------------------------

/** Path segments that try to escape or confuse routing, as sent on the wire. */
const TRAVERSALS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '..%2f..%2fhealth',
  '%2e%2e%2f%2e%2e%2fhealth',
  '%252e%252e',
  '%00',
  'env-%00',
  '%',
  '%zz',
  '%2f',
  '%5c..%5c',
  'env-01hzz%2F..%2F..',
  '*',
  '~',
  ';',
  'env-',
  'ENV-01HZZZZZZZZZZZZZZZZZZZZZZZ',
  'env-01hzzzzzzzzzzzzzzzzzzzzzzz',
  'env-00000000000000000000000000',
];

/** Percent-encodes a segment; undefined when it cannot be (a lone surrogate). */
function encodeSegment(segment: string): string | undefined {
  try {
    return encodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function segment(known: readonly string[]): fc.Arbitrary<string> {
  const missing: fc.Arbitrary<string> = fc.stringMatching(/^[0-9a-z]{26}$/).map((ulid) => `env-${ulid}`);
  const encoded: fc.Arbitrary<string> = hostileString
    .filter((text) => text.length < 2_000)
    .map((text) => encodeSegment(text) ?? '%ED%A0%80');
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.constantFrom(...TRAVERSALS) },
    { weight: 1, arbitrary: missing },
    { weight: 2, arbitrary: encoded },
  );
}

function header(name: fc.Arbitrary<string>, value: fc.Arbitrary<string>) {
  return fc.tuple(name, value).map(([n, v]) => [n, v] as [string, string]);
}

const IF_MATCH = fc.oneof(
  fc.constantFrom(
    '"1"',
    '"2"',
    '"3"',
    '"4"',
    'W/"2"',
    '2',
    '*',
    '"0"',
    '"-1"',
    '""',
    '"99999999999999999999"',
  ),
  fc.integer({ min: 1, max: 8 }).map((version) => `"${version}"`),
  hostileString.filter((text) => text.length < 1_000),
);

const IDEMPOTENCY_KEY = fc.oneof(
  fc.constantFrom('OPS-1', 'OPS-2', 'OPS 3', 'k'.repeat(255), 'k'.repeat(256), '', 'a\u0001b', 'a\tb', 'é'),
  fc.stringMatching(/^[\x21-\x7e]{1,20}$/),
  hostileString.filter((text) => text.length < 1_000),
);

/** Headers any request may carry; names in random case. */
const randomHeader = fc.oneof(
  header(fc.constantFrom('Content-Type', 'content-type', 'CONTENT-TYPE'), fc.constantFrom(...CONTENT_TYPES)),
  header(fc.constantFrom('If-Match', 'if-match', 'IF-MATCH'), IF_MATCH),
  header(fc.constantFrom('Idempotency-Key', 'idempotency-key'), IDEMPOTENCY_KEY),
  header(
    fc.constantFrom(
      'X-Forwarded-For',
      'X-Amzn-Trace-Id',
      'Accept',
      'Accept-Encoding',
      'X-HTTP-Method-Override',
      'Transfer-Encoding',
      'X-Berth-Team',
      'Origin',
      'Cookie',
    ),
    hostileString.filter((text) => text.length < 1_000),
  ),
);

function query(keys: readonly string[], values: fc.Arbitrary<string>): fc.Arbitrary<[string, string][]> {
  return fc.array(
    fc.tuple(
      fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: hostileString }),
      values,
    ),
    { maxLength: 4 },
  );
}

export interface Operation {
  /** `METHOD /template` as in docs/openapi.json. */
  name: string;
  method: string;
  /** Builds the path from generated segments. */
  path: fc.Arbitrary<string>;
  body?: fc.Arbitrary<string>;
  contentType?: string;
  query: fc.Arbitrary<[string, string][]>;
  /** Operation-specific headers (If-Match, Idempotency-Key) with their usual values. */
  headers: fc.Arbitrary<[string, string][]>;
  authenticated: boolean;
}

function mutated(
  base: readonly (readonly [string, string])[],
  keys: readonly string[],
): fc.Arbitrary<string> {
  const entry = fc.tuple(
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: hostileString }),
    hostileJsonText,
  );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(objectText(base)) },
    {
      // Replace or add fields (a replaced key is kept twice: duplicate keys on purpose).
      weight: 6,
      arbitrary: fc
        .tuple(fc.array(entry, { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([changes, duplicate]) =>
          objectText(
            duplicate
              ? [...base, ...changes]
              : [...base.filter(([key]) => !changes.some(([changed]) => changed === key)), ...changes],
          ),
        ),
    },
    { weight: 1, arbitrary: hostileJsonText },
    { weight: 1, arbitrary: brokenBody },
  );
}

const SPEC_KEYS = [
  'name',
  'team',
  'services',
  'network',
  'cluster',
  'loadBalancer',
  'dns',
  'jobs',
  'tags',
  'ticket',
  'callbackUrl',
  '__proto__',
  'constructor',
  'id',
  'status',
  'version',
  'owner',
];

/** Valid-looking service lists with one hostile field (a replaced field stays twice: duplicate keys). */
function servicesText(): fc.Arbitrary<string> {
  const serviceKeys = ['name', 'image', 'cpu', 'memory', 'port', 'desiredCount', 'environment', 'secrets'];
  return fc.oneof(
    fc.constant('[{"name":"api","image":"nginx:1.27"}]'),
    fc.tuple(fc.constantFrom(...serviceKeys), hostileJsonText).map(
      ([key, value]) =>
        `[${objectText([
          ['name', '"api"'],
          ['image', '"nginx:1.27"'],
          [key, value],
        ])}]`,
    ),
  );
}

/** Every endpoint of docs/openapi.json with a generator of hostile requests for it. */
export function operations(ids: FuzzIds, teams: FuzzTeams): Operation[] {
  const id = segment([ids.ready, ids.requested, ids.foreign]);
  const team = segment([teams.member, teams.second, teams.other]);
  const slackId = segment(['T0001', 'U0001', 'TFUZZ', 'UFUZZ']);
  const teamValue = fc.oneof(
    fc.constantFrom(JSON.stringify(teams.member), JSON.stringify(teams.second), JSON.stringify(teams.other)),
    hostileJsonText,
  );
  const createBase = fc
    .tuple(fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), hostileString), teamValue, servicesText())
    .chain(([name, teamText, services]) =>
      mutated(
        [
          ['name', JSON.stringify(name)],
          ['team', teamText],
          ['services', services],
        ],
        SPEC_KEYS,
      ),
    );
  const patchBody = fc.oneof(
    fc.constant('{"services":[{"name":"api","image":"nginx:1.28"}]}'),
    fc
      .constantFrom('nginx:1.28', 'nginx:1.29', 'nginx:latest')
      .map((image) => objectText([['services', `[{"name":"api","image":${JSON.stringify(image)}}]`]])),
    mutated([], [...SPEC_KEYS, 'network', 'cluster']),
  );
  const pageValues = fc.oneof(
    fc.constantFrom('1', '20', '100', '101', '0', '-1', '1.5', '1e3', 'abc', 'eyJ9', 'e30', 'bnVsbA'),
    fc.jsonValue({ maxDepth: 2 }).map((value) => Buffer.from(JSON.stringify(value)).toString('base64url')),
    fc
      .constantFrom(teams.member, teams.other, 'zzz')
      .map((name) =>
        Buffer.from(JSON.stringify({ [name]: 'env-00000000000000000000000000' })).toString('base64url'),
      ),
    hostileString.filter((text) => text.length < 5_000),
  );
  const listValues = fc.oneof(
    pageValues,
    fc.constantFrom(teams.member, teams.other, 'READY', 'DELETED', 'requested', 'true', 'false'),
  );
  const noHeaders = fc.array(randomHeader, { maxLength: 3 });
  const withIfMatch = fc
    .tuple(fc.option(IF_MATCH, { nil: undefined, freq: 4 }), noHeaders)
    .map(([value, rest]): [string, string][] =>
      value === undefined ? rest : [['If-Match', value], ...rest],
    );
  const withKey = fc
    .tuple(fc.option(IDEMPOTENCY_KEY, { nil: undefined, freq: 2 }), noHeaders)
    .map(([value, rest]): [string, string][] =>
      value === undefined ? rest : [['Idempotency-Key', value], ...rest],
    );
  const noQuery = query(['limit', 'cursor', 'team'], pageValues);
  const environment = id.map((segmentText) => `/environments/${segmentText}`);

  return [
    {
      name: 'GET /environments',
      method: 'GET',
      path: fc.constantFrom('/environments', '/environments/'),
      query: query(['team', 'status', 'limit', 'cursor'], listValues),
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'POST /environments',
      method: 'POST',
      path: fc.constant('/environments'),
      body: createBase,
      contentType: 'application/json',
      query: query(['dryRun'], fc.oneof(fc.constantFrom('true', 'false', 'TRUE', '1', ''), hostileString)),
      headers: withKey,
      authenticated: true,
    },
    {
      name: 'GET /environments/{id}',
      method: 'GET',
      path: environment,
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'PATCH /environments/{id}',
      method: 'PATCH',
      path: environment,
      body: patchBody,
      contentType: 'application/merge-patch+json',
      query: noQuery,
      headers: withIfMatch,
      authenticated: true,
    },
    {
      name: 'DELETE /environments/{id}',
      method: 'DELETE',
      path: environment,
      query: noQuery,
      headers: withIfMatch,
      authenticated: true,
    },
    {
      name: 'GET /environments/{id}/drift',
      method: 'GET',
      path: environment.map((path) => `${path}/drift`),
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'GET /environments/{id}/events',
      method: 'GET',
      path: environment.map((path) => `${path}/events`),
      query: query(['limit', 'cursor'], pageValues),
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'GET /environments/{id}/tasks',
      method: 'GET',
      path: environment.map((path) => `${path}/tasks`),
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'POST /environments/{id}/tasks',
      method: 'POST',
      path: environment.map((path) => `${path}/tasks`),
      body: mutated([['service', '"api"']], ['service', 'job', 'command', 'count', '__proto__']),
      contentType: 'application/json',
      query: noQuery,
      headers: withKey,
      authenticated: true,
    },
    {
      name: 'GET /teams/{team}/quotas',
      method: 'GET',
      path: team.map((segmentText) => `/teams/${segmentText}/quotas`),
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'PUT /teams/{team}/quotas',
      method: 'PUT',
      path: team.map((segmentText) => `/teams/${segmentText}/quotas`),
      body: mutated(
        [['environments', '10']],
        ['environments', 'tasks', 'natGateways', 'ec2Instances', '__proto__', 'team'],
      ),
      contentType: 'application/json',
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'GET /teams/{team}/policy',
      method: 'GET',
      path: team.map((segmentText) => `/teams/${segmentText}/policy`),
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'PUT /teams/{team}/policy',
      method: 'PUT',
      path: team.map((segmentText) => `/teams/${segmentText}/policy`),
      body: mutated(
        [['hostedZones', '[{"hostedZoneId":"Z0123456789ABC","recordNameSuffixes":["example.com"]}]']],
        [
          'hostedZones',
          'imagePrefixes',
          'secretPrefixes',
          'ec2',
          'tasks',
          'allowedIngressCidrs',
          '__proto__',
        ],
      ),
      contentType: 'application/json',
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'PUT /slack/users/{slackTeamId}/{slackUserId}',
      method: 'PUT',
      path: fc.tuple(slackId, slackId).map(([teamId, userId]) => `/slack/users/${teamId}/${userId}`),
      body: mutated(
        [['teams', JSON.stringify([teams.member])]],
        ['teams', 'admin', '__proto__', 'slackTeamId'],
      ),
      contentType: 'application/json',
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'DELETE /slack/users/{slackTeamId}/{slackUserId}',
      method: 'DELETE',
      path: fc.tuple(slackId, slackId).map(([teamId, userId]) => `/slack/users/${teamId}/${userId}`),
      query: noQuery,
      headers: noHeaders,
      authenticated: true,
    },
    {
      name: 'POST /slack/commands',
      method: 'POST',
      path: fc.constant('/slack/commands'),
      body: fc.oneof(
        brokenBody,
        hostileString.map((text) => `text=${encodeSegment(text) ?? ''}`),
      ),
      contentType: 'application/x-www-form-urlencoded',
      query: noQuery,
      headers: fc.array(
        fc.oneof(
          randomHeader,
          header(fc.constant('X-Slack-Request-Timestamp'), fc.oneof(fc.integer().map(String), hostileString)),
          header(fc.constant('X-Slack-Signature'), fc.oneof(fc.constant('v0=00'), hostileString)),
        ),
        { maxLength: 3 },
      ),
      authenticated: false,
    },
    {
      name: 'POST /slack/interactions',
      method: 'POST',
      path: fc.constant('/slack/interactions'),
      body: fc.oneof(
        brokenBody,
        hostileJsonText.map((text) => `payload=${encodeSegment(text) ?? ''}`),
      ),
      contentType: 'application/x-www-form-urlencoded',
      query: noQuery,
      headers: fc.array(
        fc.oneof(
          randomHeader,
          header(fc.constant('X-Slack-Request-Timestamp'), fc.oneof(fc.integer().map(String), hostileString)),
          header(fc.constant('X-Slack-Signature'), fc.oneof(fc.constant('v0=00'), hostileString)),
        ),
        { maxLength: 3 },
      ),
      authenticated: false,
    },
    {
      name: 'GET /health',
      method: 'GET',
      path: fc.constant('/health'),
      query: noQuery,
      headers: noHeaders,
      authenticated: false,
    },
    {
      name: 'GET /openapi.json',
      method: 'GET',
      path: fc.constant('/openapi.json'),
      query: noQuery,
      headers: noHeaders,
      authenticated: false,
    },
    {
      // Methods and paths the API does not have: routing must answer 404/405 problem+json.
      name: 'random',
      method: '*',
      path: fc.oneof(
        fc.constantFrom(
          '/',
          '/environments/x/y/z',
          '/teams',
          '/teams/a',
          '/slack',
          '/slack/users/T1',
          '/health/',
          '/openapi.yaml',
          '/.env',
          '/environments/..%2f..%2fhealth',
          '/%2e%2e/%2e%2e/etc/passwd',
          '/environments%00',
          '/ENVIRONMENTS',
        ),
        fc
          .array(segment(['environments', 'teams', 'slack', 'users', 'quotas', 'policy', 'tasks']), {
            minLength: 1,
            maxLength: 5,
          })
          .map((segments) => `/${segments.join('/')}`),
      ),
      query: noQuery,
      headers: noHeaders,
      authenticated: false,
    },
  ];
}

/** Whole requests for one operation: its usual shape, with the caller, headers and body made hostile. */
export function requestsFor(
  operation: Operation,
  callers: fc.Arbitrary<CallerKind>,
): fc.Arbitrary<FuzzRequest> {
  const method =
    operation.method === '*'
      ? fc.constantFrom(...METHODS)
      : fc.oneof(
          { weight: 12, arbitrary: fc.constant(operation.method) },
          { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
        );
  const body = operation.body
    ? fc.oneof({ weight: 8, arbitrary: operation.body }, { weight: 1, arbitrary: fc.constant(undefined) })
    : fc.option(brokenBody, { nil: undefined, freq: 4 });
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant(operation.contentType ?? 'application/json') },
    { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  return fc
    .record({
      method,
      path: operation.path,
      query: operation.query,
      headers: operation.headers,
      body,
      contentType,
      caller: callers,
    })
    .map(({ contentType: type, headers, body: text, ...rest }) => ({
      ...rest,
      operation: operation.name,
      headers:
        text !== undefined && type !== undefined
          ? [['Content-Type', type] as [string, string], ...headers]
          : headers,
      ...(text !== undefined ? { body: text } : {}),
    }));
}

export const callerKinds: fc.Arbitrary<CallerKind> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<CallerKind>('member') },
  { weight: 2, arbitrary: fc.constant<CallerKind>('other') },
  { weight: 2, arbitrary: fc.constant<CallerKind>('admin') },
  { weight: 1, arbitrary: fc.constant<CallerKind>('none') },
  { weight: 1, arbitrary: fc.constant<CallerKind>('garbage') },
);

// ---------------------------------------------------------------------------------------------
// What every answer must be
// ---------------------------------------------------------------------------------------------

export interface Answer {
  status: number;
  /** Lowercase header names. */
  headers: Record<string, string>;
  body: string;
}

type OpenApiPaths = Record<string, Record<string, { responses?: Record<string, unknown> }>>;

/** The statuses docs/openapi.json lists for an operation; undefined for routes it does not describe. */
export function documentedStatuses(operation: string): number[] | undefined {
  const [method, path] = operation.split(' ');
  if (method === undefined || path === undefined) return undefined;
  const responses = (openapi.paths as OpenApiPaths)[path]?.[method.toLowerCase()]?.responses;
  return responses ? Object.keys(responses).map(Number) : undefined;
}

/** Internal attributes of stored items that must never reach a caller. */
const INTERNAL = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'owner', 'requestHash', 'runtime', 'quotaUsage'];

/** Internal attributes at the top level of an answered environment (or of each listed item). */
function internalAttributes(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const record = parsed as Record<string, unknown>;
  const objects = Array.isArray(record.items) ? [record, ...record.items] : [record];
  return objects.flatMap((object: unknown) =>
    typeof object === 'object' && object !== null
      ? INTERNAL.filter((name) => Object.hasOwn(object, name))
      : [],
  );
}

/**
 * The invariants of any answer: never 5xx; errors are RFC 9457 problem+json whose `status` is the
 * HTTP status; no stack traces or internal attributes; 405 names what is allowed. Returns the
 * problems found (empty when the answer is fine), so a failing request is reported with all of them.
 */
export function answerViolations(request: FuzzRequest, answer: Answer): string[] {
  const found: string[] = [];
  if (answer.status >= 500) found.push(`answered ${answer.status}`);
  if (answer.status >= 400 && /\n\s+at .+:\d+:\d+|node_modules|\/work\/|Error: /.test(answer.body)) {
    found.push('leaks a stack trace or path');
  }
  const leaked = internalAttributes(answer.body);
  if (leaked.length > 0) found.push(`leaks internal attributes ${leaked.join(', ')}`);
  if (answer.status >= 400) {
    const type = answer.headers['content-type'] ?? '';
    if (!type.startsWith('application/problem+json')) found.push(`error content-type is "${type}"`);
    let problem: unknown;
    try {
      problem = JSON.parse(answer.body);
    } catch {
      found.push('error body is not JSON');
    }
    if (typeof problem === 'object' && problem !== null) {
      const fields = problem as Record<string, unknown>;
      for (const field of ['type', 'title', 'detail']) {
        if (typeof fields[field] !== 'string') found.push(`problem has no string "${field}"`);
      }
      if (fields.status !== undefined && fields.status !== answer.status) {
        found.push(`problem status ${String(fields.status)} is not the HTTP status ${answer.status}`);
      }
      if (
        fields.errors !== undefined &&
        !(
          Array.isArray(fields.errors) &&
          fields.errors.every(
            (item: unknown) =>
              typeof item === 'object' &&
              item !== null &&
              typeof (item as Record<string, unknown>).path === 'string' &&
              typeof (item as Record<string, unknown>).message === 'string',
          )
        )
      ) {
        found.push('problem errors are not [{path, message}]');
      }
    } else if (problem !== undefined) {
      found.push('problem is not an object');
    }
  }
  if (answer.status === 405 && !answer.headers.allow) found.push('405 without Allow');
  if (request.caller !== 'none' && request.caller !== 'garbage') {
    const documented = documentedStatuses(request.operation);
    const [method, template] = request.operation.split(' ');
    // Only a request API Gateway would route to this operation is held to its documented statuses.
    const pattern = new RegExp(`^${(template ?? '').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const routed = request.method === method && pattern.test(request.path.split('?')[0] ?? '');
    if (documented && routed && !documented.includes(answer.status) && ![404, 405].includes(answer.status)) {
      found.push(
        `status ${answer.status} is not documented for ${request.operation} (${documented.join(', ')})`,
      );
    }
  }
  return found;
}

/** No request may change Object.prototype (a `__proto__` key merged into a plain object). */
export function prototypeViolations(): string[] {
  const polluted = Object.getOwnPropertyNames(Object.prototype).filter((name) =>
    ['admin', 'polluted', 'teams', 'isAdmin'].includes(name),
  );
  return polluted.length > 0 ? [`Object.prototype polluted with ${polluted.join(', ')}`] : [];
}

/** A digest of every item of a table: equal digests mean nothing was written, changed or deleted. */
export async function tableDigest(
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<{ count: number; digest: string; items: string[] }> {
  const items: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? [])
      items.push(JSON.stringify(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1))));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  items.sort();
  return { count: items.length, digest: createHash('sha256').update(items.join('\n')).digest('hex'), items };
}

/** The items that differ between two digests (added `+`, removed `-`), cut for a failure message. */
export function tableChanges(before: { items: string[] }, after: { items: string[] }): string {
  const removed = before.items.filter((item) => !after.items.includes(item)).map((item) => `- ${item}`);
  const added = after.items.filter((item) => !before.items.includes(item)).map((item) => `+ ${item}`);
  return [...removed, ...added].map((line) => line.slice(0, 400)).join('\n');
}

/** One line describing a request for a failure message (long values cut). */
export function describeRequest(request: FuzzRequest): string {
  const cut = (text: string) => (text.length > 160 ? `${text.slice(0, 160)}…(${text.length} chars)` : text);
  return JSON.stringify({
    caller: request.caller,
    method: request.method,
    path: cut(request.path),
    query: request.query.map(([key, value]) => [cut(key), cut(value)]),
    headers: request.headers.map(([key, value]) => [key, cut(value)]),
    body: request.body === undefined ? undefined : cut(request.body),
  });
}
