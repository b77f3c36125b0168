/**
 * The OpenAPI 3.1 description of the berth API, generated from the same zod schemas that validate
 * requests, so the document cannot drift from the code. `docs/openapi.json` is this document
 * written by `scripts/openapi.ts`; a unit test fails when the committed copy is stale. Its paths,
 * methods and bearer requirements come from the route table (routes.json), as the API's do.
 *
 * Request bodies are rendered with `io: 'input'` (defaulted fields optional) and responses with
 * `io: 'output'` (defaults applied, so always present). OpenAPI 3.1 schemas are JSON Schema 2020-12,
 * so zod's default target needs no translation.
 */

import { driftAnswerSchema } from '../app/drift';
import { SLACK_ID_PATTERN, slackUserRequestSchema, slackUserSchema } from '../app/slack-user-schema';
import { runTaskRequestSchema, taskListSchema } from '../app/tasks';
import { costEstimateSchema } from '../domain/cost';
import {
  environmentEventPageSchema,
  environmentEventSchema,
  environmentPageSchema,
  environmentSchema,
} from '../domain/environment';
import { IMMUTABLE_FIELDS } from '../domain/patch';
import { quotaOverridesSchema, teamQuotasSchema } from '../domain/quotas';
import { environmentRequestSchema } from '../domain/spec';
import { teamPolicyOverridesSchema, teamPolicyViewSchema } from '../domain/team-policy';
import * as z from '../domain/zod';
import { createQuerySchema, listQuerySchema, pageQuerySchema } from './queries';
import { endpointPaths, endpoints } from './routes';

/** RFC 9457 problem details, as every error response carries them. */
export const problemSchema = z.meta(
  z.object({
    type: z.meta(z.string(), {
      description: 'A URN naming the kind of problem, e.g. urn:berth:problem:bad-request.',
    }),
    title: z.string(),
    status: z.int().check(z.minimum(400), z.maximum(599)),
    detail: z.string(),
    instance: z.optional(z.string()),
    errors: z.optional(
      z.array(
        z.object({
          path: z.meta(z.string(), {
            description: 'JSON Pointer (RFC 6901) into the request body, e.g. /services/0/port.',
          }),
          message: z.string(),
          rule: z.optional(
            z.meta(z.string(), {
              description: 'The team policy rule that refused the field, e.g. hostedZones or ec2.keyPairs.',
            }),
          ),
        }),
      ),
    ),
  }),
  { description: 'RFC 9457 problem details (application/problem+json).' },
);

const healthSchema = z.object({ status: z.literal('ok') });

/** The answer to a dry run: what would be created, and what it would cost. */
const dryRunSchema = z.object({ spec: environmentRequestSchema, cost: costEstimateSchema });

/** The PATCH body: any subset of the request; `null` removes a field (its default applies again). */
const environmentPatchSchema = z.meta(z.record(z.string(), z.unknown()), {
  description: 'A JSON Merge Patch (RFC 7396) of EnvironmentRequest; arrays replace whole.',
});

type Schema = Record<string, unknown>;

/** What PATCH applies and what it refuses, from the one list the update use case checks. */
const UPDATE_DESCRIPTION = `The update workflow applies every changed field in place, except these, which answer 422 naming the field and why (create a new environment instead): ${IMMUTABLE_FIELDS.map(
  (field) => (field.onceSet ? `${field.path} (may be added, not changed or removed)` : field.path),
).join(', ')}.`;

/** Every component schema, in the direction it is read: request bodies as input, the rest as output. */
function componentSchemas(): Record<string, Schema> {
  const inputs = z.registry<{ id: string }>();
  inputs.add(environmentRequestSchema, { id: 'EnvironmentRequest' });
  inputs.add(environmentPatchSchema, { id: 'EnvironmentPatch' });
  inputs.add(runTaskRequestSchema, { id: 'RunTaskRequest' });
  inputs.add(quotaOverridesSchema, { id: 'QuotaOverrides' });
  inputs.add(teamPolicyOverridesSchema, { id: 'TeamPolicyRequest' });
  inputs.add(slackUserRequestSchema, { id: 'SlackUserRequest' });

  const outputs = z.registry<{ id: string }>();
  outputs.add(environmentRequestSchema, { id: 'EnvironmentSpec' });
  outputs.add(environmentSchema, { id: 'Environment' });
  outputs.add(environmentEventSchema, { id: 'EnvironmentEvent' });
  outputs.add(environmentPageSchema, { id: 'EnvironmentPage' });
  outputs.add(environmentEventPageSchema, { id: 'EnvironmentEventPage' });
  outputs.add(problemSchema, { id: 'Problem' });
  outputs.add(healthSchema, { id: 'Health' });
  outputs.add(taskListSchema, { id: 'TaskList' });
  outputs.add(costEstimateSchema, { id: 'CostEstimate' });
  outputs.add(dryRunSchema, { id: 'DryRun' });
  outputs.add(teamQuotasSchema, { id: 'TeamQuotas' });
  outputs.add(teamPolicyViewSchema, { id: 'TeamPolicy' });
  outputs.add(driftAnswerSchema, { id: 'DriftReport' });
  outputs.add(slackUserSchema, { id: 'SlackUser' });

  const uri = (id: string) => `#/components/schemas/${id}`;
  const all = {
    ...z.toJSONSchema(inputs, { io: 'input', uri }).schemas,
    ...z.toJSONSchema(outputs, { io: 'output', uri }).schemas,
  };
  // Each entry is a component, not a standalone document: its $schema and $id do not belong.
  return Object.fromEntries(
    Object.entries(all).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema as Schema]),
  );
}

function parameterSchema(schema: z.ZodMiniType): Schema {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { io: 'input' });
  return rest;
}

const ref = (kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});
const jsonContent = (schema: string) => ({ 'application/json': { schema: ref('schemas', schema) } });
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } },
});
const accepted = (description: string) => ({
  description,
  headers: { ETag: ref('headers', 'ETag'), Location: ref('headers', 'Location') },
  content: jsonContent('Environment'),
});

const PROBLEM_RESPONSES = {
  BadRequest: 'The request is malformed or fails validation; `errors` lists each field.',
  Unauthorized: 'No valid bearer token.',
  NotFound:
    'No such environment (or team policy), or it belongs to a team the caller is not in: the two answer alike.',
  Conflict:
    'The environment is in a status that does not allow this, or the name or idempotency key is taken.',
  PreconditionFailed: 'If-Match does not match the current version: read the environment again.',
  PayloadTooLarge: 'The body is larger than the API accepts.',
  UnsupportedMediaType: 'The body is not application/json.',
  Unprocessable:
    "Well-formed but not possible, e.g. a field that cannot change in place, or one the team's policy does not allow (each such error names the policy `rule`).",
  PreconditionRequired: 'If-Match is required.',
  Forbidden: 'The caller may not do this: not a member of the team, or not an admin.',
  QuotaExceeded:
    "The change would take the team past a quota (`errors` path quota.<dimension>: ask a berth admin), or the environment does not fit the AWS account's quotas (`errors` path awsQuota.<serviceCode>.<quotaCode>, e.g. awsQuota.vpc.L-F678F1CE: the detail names the quota, its use and how to raise it through Service Quotas). Each names the limit and its use. Quotas do not clear with time: free capacity or raise the limit (one-off task quotas free up as those tasks end).",
  TooManyRequests:
    'Asked again too soon: another request is checking this environment and none has finished yet. `Retry-After` says in how many seconds to ask again.',
} as const;
type ProblemResponse = keyof typeof PROBLEM_RESPONSES;
const STATUS_OF_RESPONSE: Record<ProblemResponse, string> = {
  BadRequest: '400',
  Unauthorized: '401',
  NotFound: '404',
  Conflict: '409',
  PreconditionFailed: '412',
  PayloadTooLarge: '413',
  UnsupportedMediaType: '415',
  Unprocessable: '422',
  PreconditionRequired: '428',
  Forbidden: '403',
  QuotaExceeded: '429',
  TooManyRequests: '429',
};
/** The `responses` entries for these problems, keyed by status code. */
const problems = (...names: ProblemResponse[]) =>
  Object.fromEntries(names.map((name) => [STATUS_OF_RESPONSE[name], ref('responses', name)]));

function parameters(): Record<string, Schema> {
  const query = (name: string, schema: z.ZodMiniType, description: string) => ({
    name,
    in: 'query',
    required: false,
    description,
    schema: parameterSchema(schema),
  });
  return {
    EnvironmentId: {
      name: 'id',
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^env-[0-9A-HJKMNP-TV-Z]{26}$' },
    },
    TeamName: {
      name: 'team',
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
    },
    SlackTeamId: {
      name: 'slackTeamId',
      in: 'path',
      required: true,
      description: 'The Slack workspace id (team_id), e.g. T1DC2JH3J.',
      schema: { type: 'string', pattern: SLACK_ID_PATTERN.source },
    },
    SlackUserId: {
      name: 'slackUserId',
      in: 'path',
      required: true,
      description: 'The Slack user id (user_id), e.g. U2CERLKJA.',
      schema: { type: 'string', pattern: SLACK_ID_PATTERN.source },
    },
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Retrying with the same key and body returns the first result; another body answers 422.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
    IfMatch: {
      name: 'If-Match',
      in: 'header',
      required: true,
      description: 'The ETag from the last read; a stale one answers 412.',
      schema: { type: 'string' },
    },
    IfMatchOptional: {
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'When given, the ETag from the last read; a stale one answers 412.',
      schema: { type: 'string' },
    },
    DryRun: query(
      'dryRun',
      createQuerySchema.shape.dryRun,
      'Validate and answer the spec with defaults, create nothing.',
    ),
    Team: query(
      'team',
      listQuerySchema.shape.team,
      "Only this team's environments (one of the caller's teams).",
    ),
    Status: query('status', listQuerySchema.shape.status, 'Only environments in this status.'),
    Limit: query('limit', pageQuerySchema.shape.limit, 'Page size.'),
    Cursor: query('cursor', pageQuerySchema.shape.cursor, 'The nextCursor of the previous page.'),
  };
}

/**
 * What each operation does, keyed by the function that serves it. Which path and method it answers,
 * and whether it needs a bearer token, come from the route table (routes.json), so no path is
 * written here and `security` cannot disagree with the authorizer.
 */
interface OperationDetails {
  operationId: string;
  summary: string;
  security?: never;
  [field: string]: unknown;
}

/** The endpoints Slack calls: signed with the app's signing secret instead of a bearer token. */
const slackEndpoint = (operationId: string, summary: string, description: string): OperationDetails => ({
  operationId,
  summary,
  description: `${description} Authenticated by Slack's X-Slack-Signature and X-Slack-Request-Timestamp headers (requests older than 5 minutes are refused), not by a bearer token.`,
  requestBody: {
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } },
  },
  responses: {
    '200': {
      description: 'A Slack message (ephemeral), or empty for a button click.',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
    ...problems('Unauthorized', 'PayloadTooLarge'),
  },
});

const OPERATIONS: Record<string, OperationDetails> = {
  createEnvironment: {
    operationId: 'createEnvironment',
    summary: 'Request a new environment',
    parameters: [ref('parameters', 'IdempotencyKey'), ref('parameters', 'DryRun')],
    requestBody: { required: true, content: jsonContent('EnvironmentRequest') },
    responses: {
      '200': {
        description: 'Dry run: the spec with every default applied and its estimated monthly cost.',
        content: jsonContent('DryRun'),
      },
      '202': accepted('Accepted: provisioning has started (or the idempotent replay of an earlier request).'),
      ...problems(
        'BadRequest',
        'Unauthorized',
        'Forbidden',
        'Conflict',
        'PayloadTooLarge',
        'UnsupportedMediaType',
        'Unprocessable',
        'QuotaExceeded',
      ),
    },
  },
  listEnvironments: {
    operationId: 'listEnvironments',
    summary: "List the caller's environments",
    parameters: ['Team', 'Status', 'Limit', 'Cursor'].map((name) => ref('parameters', name)),
    responses: {
      '200': { description: 'A page of environments.', content: jsonContent('EnvironmentPage') },
      ...problems('BadRequest', 'Unauthorized'),
    },
  },
  getEnvironment: {
    operationId: 'getEnvironment',
    summary: 'Status, progress and outputs of an environment',
    responses: {
      '200': {
        description: 'The environment.',
        headers: { ETag: ref('headers', 'ETag') },
        content: jsonContent('Environment'),
      },
      ...problems('Unauthorized', 'NotFound'),
    },
  },
  updateEnvironment: {
    operationId: 'updateEnvironment',
    summary: 'Change an environment (JSON Merge Patch)',
    description: UPDATE_DESCRIPTION,
    parameters: [ref('parameters', 'IfMatch')],
    requestBody: {
      required: true,
      content: {
        'application/merge-patch+json': { schema: ref('schemas', 'EnvironmentPatch') },
        'application/json': { schema: ref('schemas', 'EnvironmentPatch') },
      },
    },
    responses: {
      '202': accepted('Accepted: the update workflow has started.'),
      ...problems(
        'BadRequest',
        'Unauthorized',
        'NotFound',
        'Conflict',
        'PreconditionFailed',
        'PayloadTooLarge',
        'UnsupportedMediaType',
        'Unprocessable',
        'PreconditionRequired',
        'QuotaExceeded',
      ),
    },
  },
  deleteEnvironment: {
    operationId: 'deleteEnvironment',
    summary: 'Tear an environment down',
    parameters: [ref('parameters', 'IfMatchOptional')],
    responses: {
      '202': accepted('Accepted: teardown has started.'),
      ...problems('BadRequest', 'Unauthorized', 'NotFound', 'Conflict', 'PreconditionFailed'),
    },
  },
  listEvents: {
    operationId: 'listEnvironmentEvents',
    summary: 'The history of an environment, oldest first',
    parameters: [ref('parameters', 'Limit'), ref('parameters', 'Cursor')],
    responses: {
      '200': { description: 'A page of events.', content: jsonContent('EnvironmentEventPage') },
      ...problems('BadRequest', 'Unauthorized', 'NotFound'),
    },
  },
  runTask: {
    operationId: 'runEnvironmentTask',
    summary: "Run a service's or a job's task now (1 to 10 copies)",
    description:
      "One-off tasks count against the team's `oneOffTasks` and `oneOffVcpus` quotas: what runs is read from ECS at each request (the team's one-off and job tasks not yet stopped, over all its environments; a service's tasks do not count), so the room comes back as tasks end. Past either, 429 naming `quota.oneOffTasks` or `quota.oneOffVcpus` and starts nothing.",
    parameters: [ref('parameters', 'IdempotencyKey')],
    requestBody: { required: true, content: jsonContent('RunTaskRequest') },
    responses: {
      '202': { description: 'Accepted: the tasks were started.', content: jsonContent('TaskList') },
      ...problems(
        'BadRequest',
        'Unauthorized',
        'NotFound',
        'Conflict',
        'PayloadTooLarge',
        'UnsupportedMediaType',
        'QuotaExceeded',
      ),
    },
  },
  listTasks: {
    operationId: 'listEnvironmentTasks',
    summary: 'Job and one-off tasks, running and recently stopped, with exit codes',
    responses: {
      '200': { description: 'The tasks, newest first.', content: jsonContent('TaskList') },
      ...problems('Unauthorized', 'NotFound', 'Conflict'),
    },
  },
  getDrift: {
    operationId: 'getEnvironmentDrift',
    summary: 'Differences between the spec and what AWS reports now',
    description:
      "Compares desired counts, images, task sizes, health checks, listener rules, berth tags, Container Insights and log retention with AWS, and lists resources that no longer exist. Only READY and UPDATE_FAILED environments are checked (409 otherwise). Each check makes about ten Describe calls against the account's shared API limits, so an environment is read from AWS at most once per window (60 s by default, the deploy parameter `driftMinIntervalSeconds`): within it the last report is answered again, with `ageSeconds` and an `Age` header saying how old it is. Only when another request is checking and no report has been made yet is the answer 429 with `Retry-After`. API Gateway also throttles this route (429 before berth runs).",
    responses: {
      '200': { description: 'The drift report and its age.', content: jsonContent('DriftReport') },
      ...problems('Unauthorized', 'NotFound', 'Conflict', 'TooManyRequests'),
    },
  },
  getTeamQuotas: {
    operationId: 'getTeamQuotas',
    summary: "A team's limits and current use",
    description: 'Members of the team and admins may read them.',
    responses: {
      '200': { description: 'Limits in force, overrides and usage.', content: jsonContent('TeamQuotas') },
      ...problems('BadRequest', 'Unauthorized', 'Forbidden'),
    },
  },
  putTeamQuotas: {
    operationId: 'putTeamQuotas',
    summary: "Replace a team's limit overrides (admins only)",
    description:
      'Dimensions left out follow the configured defaults; `{}` returns the team to the defaults. A limit below current use refuses only growth.',
    requestBody: { required: true, content: jsonContent('QuotaOverrides') },
    responses: {
      '200': { description: 'The team quotas after the change.', content: jsonContent('TeamQuotas') },
      ...problems('BadRequest', 'Unauthorized', 'Forbidden', 'PayloadTooLarge', 'UnsupportedMediaType'),
    },
  },
  getTeamPolicy: {
    operationId: 'getTeamPolicy',
    summary: 'What a team may ask for: its policy in force',
    description:
      'Members of the team and admins may read it; to anyone else it answers like a missing one (404). Every create, dry run and update is checked against it: a refused field answers 422 naming the field (JSON Pointer) and the `rule`.',
    responses: {
      '200': {
        description: "The rules in force (the team's own over the deploy-wide default) and the team's own.",
        content: jsonContent('TeamPolicy'),
      },
      ...problems('BadRequest', 'Unauthorized', 'NotFound'),
    },
  },
  putTeamPolicy: {
    operationId: 'putTeamPolicy',
    summary: "Replace a team's own policy rules (admins only)",
    description:
      "Each field given replaces the default's whole; a field left out follows the deploy-wide default; `{}` returns the team to the default. A narrower policy refuses no existing environment, and an update may keep a value the environment already has.",
    requestBody: { required: true, content: jsonContent('TeamPolicyRequest') },
    responses: {
      '200': { description: 'The team policy after the change.', content: jsonContent('TeamPolicy') },
      ...problems('BadRequest', 'Unauthorized', 'Forbidden', 'PayloadTooLarge', 'UnsupportedMediaType'),
    },
  },
  putSlackUser: {
    operationId: 'putSlackUser',
    summary: 'Map a Slack user to berth teams (admins only)',
    description: 'The Slack command acts for the user with exactly these teams; replaces an earlier mapping.',
    requestBody: { required: true, content: jsonContent('SlackUserRequest') },
    responses: {
      '200': { description: 'The mapping as stored.', content: jsonContent('SlackUser') },
      ...problems('BadRequest', 'Unauthorized', 'Forbidden', 'PayloadTooLarge', 'UnsupportedMediaType'),
    },
  },
  deleteSlackUser: {
    operationId: 'deleteSlackUser',
    summary: "Remove a Slack user's mapping (admins only)",
    responses: {
      '204': { description: 'Removed (or there was none).' },
      ...problems('BadRequest', 'Unauthorized', 'Forbidden'),
    },
  },
  slackCommands: slackEndpoint(
    'slackCommand',
    'The /berth slash command',
    "create, status, list, delete (with a confirmation button), policy (the team's policy in force) and help.",
  ),
  slackInteractions: slackEndpoint(
    'slackInteraction',
    'Clicks on berth buttons in Slack',
    'The delete confirmation; the outcome is posted to the response_url.',
  ),
  openapi: {
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    responses: {
      '200': {
        description: 'The OpenAPI 3.1 document.',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
    },
  },
  health: {
    operationId: 'getHealth',
    summary: 'Liveness of the API',
    responses: { '200': { description: 'The API is up.', content: jsonContent('Health') } },
  },
};

/** The `$ref`s of a table path's `{param}`s: the path parameter components with those names, in order. */
function pathParameterRefs(path: string, components: Record<string, Schema>): { $ref: string }[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => {
    const component = Object.entries(components).find(
      ([, parameter]) => parameter.in === 'path' && parameter.name === name,
    );
    if (component === undefined) throw new Error(`no path parameter component named ${name} (${path})`);
    return ref('parameters', component[0]);
  });
}

/**
 * The document's paths: one per distinct path of the route table, each method's operation from
 * OPERATIONS by function key. Throws when a route has no operation or an operation serves no route.
 */
function paths(components: Record<string, Schema>): Record<string, Record<string, unknown>> {
  const unused = new Set(Object.keys(OPERATIONS));
  const items = endpointPaths().map((path) => {
    const item: Record<string, unknown> = {};
    const parameters = pathParameterRefs(path, components);
    if (parameters.length > 0) item.parameters = parameters;
    for (const route of endpoints.filter((endpoint) => endpoint.path === path)) {
      const operation = OPERATIONS[route.function];
      if (operation === undefined) {
        throw new Error(`no OpenAPI operation for ${route.function} (${route.method} ${route.path})`);
      }
      unused.delete(route.function);
      item[route.method.toLowerCase()] = { ...operation, security: route.auth ? [{ bearerAuth: [] }] : [] };
    }
    return [path, item] as const;
  });
  if (unused.size > 0) throw new Error(`OpenAPI operations without a route: ${[...unused].join(', ')}`);
  return Object.fromEntries(items);
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, Schema>;
    responses: Record<string, unknown>;
    headers: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
}

/** The OpenAPI 3.1 document of the API. Deterministic: the same code always builds the same document. */
export function buildOpenApiDocument(): OpenApiDocument {
  const parameterComponents = parameters();
  return {
    openapi: '3.1.0',
    info: {
      title: 'berth',
      version: '0.1.0',
      description:
        'Self-service production-ready Amazon ECS environments. Errors are RFC 9457 problem+json; field paths in `errors` are JSON Pointers.',
    },
    security: [{ bearerAuth: [] }],
    paths: paths(parameterComponents),
    components: {
      schemas: componentSchemas(),
      parameters: parameterComponents,
      responses: Object.fromEntries(
        Object.entries(PROBLEM_RESPONSES).map(([name, description]) => [name, problemResponse(description)]),
      ),
      headers: {
        ETag: {
          description: 'The version of the environment, quoted; send it back in If-Match.',
          schema: { type: 'string' },
        },
        Location: { description: 'The URL of the environment.', schema: { type: 'string' } },
      },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, item]) => [key, sortKeys(item)]),
    );
  }
  return value;
}

/** The document as committed in docs/openapi.json: keys sorted (stable diffs), two-space indent, final newline. */
export function serializeOpenApiDocument(document: OpenApiDocument): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}
