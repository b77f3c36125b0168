/**
 * Builds serverless.yml's `functions` and `resources` from the declarations beside it, so that each
 * function's permissions are written once and the scaffolding of its role is generated:
 *   - infra/functions/*.js: each function's handler, settings and `permissions` (IAM statements);
 *   - shared/http/routes.json: the one route table, from which the http events are derived;
 *   - infra/resources.yml: the stack's other resources (table, bus, rules, ECS roles, …), which
 *     serverless.yml lists beside the generated roles and osls merges;
 *   - infra/service-roles.js: the roles AWS services assume (declared with the same grants).
 * Every function gets a role `<Function>Role`: Lambda's trust policy, write access to its own log
 * group only (<Function>LogGroup, created by osls), X-Ray segments when tracing is on, then its
 * declared statements. osls resolves `${file(./infra/stack.js):functions}` by calling the export;
 * the local Step Functions engine and DynamoDB Local read the same exports.
 */

const routes = require('../shared/http/routes.json');
const { grants } = require('./grants');
const serviceRoles = require('./service-roles');

const DECLARATIONS = ['api', 'slack-and-events', 'steps'].map((file) => require(`./functions/${file}`));

// With provider.tracing.lambda on, Lambda sends the function's segments with its role.
// Resource '*': X-Ray has no resource-level permissions for xray:PutTraceSegments and
// xray:PutTelemetryRecords (Service Authorization Reference, "Actions defined by AWS X-Ray").
const XRAY_WRITE = {
  Effect: 'Allow',
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Resource: '*',
};

const LAMBDA_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** osls's logical-id stem for a function key (`createEnvironment` → `CreateEnvironment`). */
function logicalStem(functionKey) {
  const normalized = functionKey.replaceAll('-', 'Dash').replaceAll('_', 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}`;
}

function kebabCase(functionKey) {
  return functionKey.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Every function declaration by key; a key declared twice is an error, not a silent override. */
function declarations() {
  const all = {};
  for (const group of DECLARATIONS) {
    for (const [key, declaration] of Object.entries(group)) {
      if (key in all) throw new Error(`infra: function ${key} is declared twice`);
      if (!Array.isArray(declaration.permissions))
        throw new Error(`infra: function ${key} declares no permissions`);
      all[key] = declaration;
    }
  }
  return all;
}

/** `/environments/{id}` → `environments/{id}` (osls paths have no leading slash; the root stays `/`). */
function eventPath(routePath) {
  return routePath === '/' ? '/' : routePath.replace(/^\//, '');
}

/** The http events of each function: its routes, plus the not-found function's ANY on every path. */
function httpEvents(functionKeys) {
  const events = {};
  const add = (key, event) => {
    if (!functionKeys.has(key))
      throw new Error(`infra: route ${event.http.method} ${event.http.path} names no function ${key}`);
    events[key] ??= [];
    events[key].push(event);
  };
  const ownPaths = new Set();
  for (const route of routes) {
    const http = { method: route.method.toLowerCase(), path: eventPath(route.path) };
    // An osls variable: osls resolves variables in what this module returns.
    if (route.auth) http.authorizer = '${self:custom.apiAuthorizer}';
    add(route.function, { http });
    if (route.function === 'notFound') ownPaths.add(route.path);
  }
  // A known path asked with another method gets the not-found function's 405 instead of the gateway's answer.
  const knownPaths = [
    ...new Set(routes.filter((route) => route.function !== 'notFound').map((route) => route.path)),
  ];
  for (const routePath of knownPaths) {
    if (!ownPaths.has(routePath)) add('notFound', { http: { method: 'any', path: eventPath(routePath) } });
  }
  return events;
}

/** serverless.yml's `functions`: the declarations without `permissions`, with their role and events. */
function functions() {
  const all = declarations();
  const events = httpEvents(new Set(Object.keys(all)));
  return Object.fromEntries(
    Object.entries(all).map(([key, { permissions: _permissions, ...settings }]) => [
      key,
      { ...settings, role: `${logicalStem(key)}Role`, ...(events[key] ? { events: events[key] } : {}) },
    ]),
  );
}

/** One role per function: trust, its own log group, X-Ray when tracing, then what it declared. */
function functionRoles(tracing) {
  return Object.fromEntries(
    Object.entries(declarations()).map(([key, { permissions }]) => [
      `${logicalStem(key)}Role`,
      {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: LAMBDA_TRUST,
          Policies: [
            {
              PolicyName: kebabCase(key),
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                    Resource: { 'Fn::GetAtt': [`${logicalStem(key)}LogGroup`, 'Arn'] },
                  },
                  ...(tracing ? [XRAY_WRITE] : []),
                  ...permissions,
                ],
              },
            },
          ],
        },
      },
    ]),
  );
}

// The source of berth's status events (STATUS_EVENT_SOURCE in shared/domain/status-event.ts; the
// event-bus-policy test holds the two equal): receivers and the rules trust it, so no other principal
// of the account may publish it (docs/aws-facts.md#event-bus-policy).
const STATUS_EVENT_SOURCE = 'berth';

/**
 * The bus's resource policy: PutEvents with source `berth` is denied to every principal but the roles
 * of the functions declared with the putEvents grant. A Deny, because in one account an identity
 * policy's Allow is enough by itself: an Allow in the bus policy would narrow nothing. A separate
 * resource, not the bus's Policy: the roles already name the bus, so the bus naming them is a cycle.
 */
function eventBusPolicy() {
  const publishers = Object.entries(declarations())
    .filter(([, { permissions }]) => permissions.includes(grants.putEvents))
    .map(([key]) => ({ 'Fn::GetAtt': [`${logicalStem(key)}Role`, 'Arn'] }));
  return {
    Type: 'AWS::Events::EventBusPolicy',
    Properties: {
      EventBusName: { Ref: 'EventBus' },
      StatementId: 'berth-status-events-only-from-berth-roles',
      Statement: {
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
        Condition: {
          'ForAnyValue:StringEquals': { 'events:source': [STATUS_EVENT_SOURCE] },
          ArnNotEquals: { 'aws:PrincipalArn': publishers },
        },
      },
    },
  };
}

/**
 * The generated roles, merged by osls with infra/resources.yml (serverless.yml lists both under
 * `resources`). osls passes `resolveConfigurationProperty`, so provider.tracing.lambda stays the one
 * switch for tracing; a local reader (which needs only the table) passes nothing.
 */
async function roles({ resolveConfigurationProperty } = {}) {
  const tracing = resolveConfigurationProperty
    ? Boolean(await resolveConfigurationProperty(['provider', 'tracing', 'lambda']))
    : false;
  return { Resources: { ...serviceRoles, ...functionRoles(tracing), EventBusPolicy: eventBusPolicy() } };
}

// logicalStem: the local stack names the resources osls generates for a function the same way.
module.exports = { functions, roles, logicalStem };
