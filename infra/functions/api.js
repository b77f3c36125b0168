/**
 * The API's functions: handler, settings and the permissions their code needs, once each. The HTTP
 * routes they serve come from shared/http/routes.json; infra/stack.js adds the events and the role.
 */
const {
  allow,
  arn,
  getAtt,
  startExecution,
  leadingKeys,
  taskRoleArnPattern,
  tableArns,
  grants,
} = require('../grants');

const { tableRead, tableWrite, putEvents, describeExecutions, stopExecutions } = grants;

// A create, and an update that grows an environment, first read the AWS account's quotas (quota-aware
// admission, shared/app/account-quotas.ts).
const accountQuotas = [grants.serviceQuotaRead, grants.accountUsageRead];

// Listing and describing the tasks of berth's clusters (one-off task listings and quota counts).
const readTasks = [
  allow('ecs:ListTasks', arn('ecs', 'container-instance/*'), {
    ArnLike: { 'ecs:cluster': arn('ecs', 'cluster/*') },
  }),
  allow('ecs:DescribeTasks', arn('ecs', 'task/*')),
];

// The functions that accept a spec refuse a taskRoleArn that berth may not pass to ECS (422).
const specEnvironment = { TASK_ROLE_ARN_PATTERN: taskRoleArnPattern };

module.exports = {
  // API Gateway runs it before every route that needs a token; it verifies the JWT and calls nothing.
  authorizer: {
    handler: 'functions/authorizer.handler',
    permissions: [],
  },
  createEnvironment: {
    handler: 'functions/api/create-environment.handler',
    environment: specEnvironment,
    permissions: [tableWrite, startExecution('provision'), putEvents, ...accountQuotas],
  },
  listEnvironments: {
    handler: 'functions/api/list-environments.handler',
    permissions: [tableRead],
  },
  getEnvironment: {
    handler: 'functions/api/get-environment.handler',
    permissions: [tableRead],
  },
  updateEnvironment: {
    handler: 'functions/api/update-environment.handler',
    environment: specEnvironment,
    permissions: [tableWrite, startExecution('update'), describeExecutions, putEvents, ...accountQuotas],
  },
  deleteEnvironment: {
    handler: 'functions/api/delete-environment.handler',
    permissions: [tableWrite, startExecution('teardown'), stopExecutions, putEvents],
  },
  listEvents: {
    handler: 'functions/api/list-events.handler',
    permissions: [tableRead],
  },
  // One-off tasks: these two handlers call ECS themselves (running a task is an operation, not provisioning).
  // A run first counts the team's running one-off tasks (ListTasks, DescribeTasks) against its quota.
  runTask: {
    handler: 'functions/api/run-task.handler',
    permissions: [tableRead, ...readTasks, grants.runJobTasks, grants.tagJobTasks, grants.passTaskRoles],
  },
  listTasks: {
    handler: 'functions/api/list-tasks.handler',
    permissions: [tableRead, ...readTasks],
  },
  // Read-only towards AWS: the drift report reads AWS to compare it with the spec and never writes to
  // it. It writes only its own record of the last check (DRIFT#<id>), which limits checks per environment.
  getDrift: {
    handler: 'functions/api/get-drift.handler',
    environment: { DRIFT_MIN_INTERVAL_SECONDS: '${param:driftMinIntervalSeconds, 60}' },
    // Describe calls across four AWS APIs (SDK retries included) take longer than a table read; still
    // under API Gateway's 29 s integration limit.
    timeout: 25,
    permissions: [
      tableRead,
      allow('dynamodb:UpdateItem', tableArns[0], leadingKeys('DRIFT')),
      // Resource '*': AWS has no resource-level permissions for these Describe calls (the Service
      // Authorization Reference lists no resource type for them), so a narrower Resource denies them:
      // ec2:DescribeVpcs, ec2:DescribeSubnets, ec2:DescribeNatGateways,
      // elasticloadbalancing:DescribeLoadBalancers, elasticloadbalancing:DescribeListeners,
      // elasticloadbalancing:DescribeRules, elasticloadbalancing:DescribeTargetGroups,
      // elasticloadbalancing:DescribeTags, ecs:DescribeTaskDefinition, logs:DescribeLogGroups.
      allow(
        [
          'ec2:DescribeVpcs',
          'ec2:DescribeSubnets',
          'ec2:DescribeNatGateways',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTags',
          'ecs:DescribeTaskDefinition',
          'logs:DescribeLogGroups',
        ],
        '*',
      ),
      // Clusters and services do have resource-level permissions: this account and Region only.
      allow('ecs:DescribeClusters', arn('ecs', 'cluster/*')),
      allow('ecs:DescribeServices', arn('ecs', 'service/*/*')),
    ],
  },
  // Quotas: the team's overrides and usage items only (partition keys TEAM#…), on the table itself.
  getTeamQuotas: {
    handler: 'functions/api/get-team-quotas.handler',
    permissions: [allow('dynamodb:GetItem', getAtt('Table'), leadingKeys('TEAM'))],
  },
  putTeamQuotas: {
    handler: 'functions/api/put-team-quotas.handler',
    permissions: [allow(['dynamodb:GetItem', 'dynamodb:PutItem'], getAtt('Table'), leadingKeys('TEAM'))],
  },
  // Team policies: the team's policy item only (partition keys TEAM#…), on the table itself.
  getTeamPolicy: {
    handler: 'functions/api/get-team-policy.handler',
    permissions: [allow('dynamodb:GetItem', getAtt('Table'), leadingKeys('TEAM'))],
  },
  putTeamPolicy: {
    handler: 'functions/api/put-team-policy.handler',
    permissions: [allow(['dynamodb:GetItem', 'dynamodb:PutItem'], getAtt('Table'), leadingKeys('TEAM'))],
  },
  openapi: {
    handler: 'functions/api/openapi.handler',
    permissions: [],
  },
  health: {
    handler: 'functions/api/health.handler',
    permissions: [],
  },
  // Admin API: which berth teams a Slack user acts for. The mapping endpoints touch only their own
  // items: dynamodb:LeadingKeys limits them to partition keys SLACKUSER#….
  putSlackUser: {
    handler: 'functions/api/put-slack-user.handler',
    permissions: [allow('dynamodb:PutItem', getAtt('Table'), leadingKeys('SLACKUSER'))],
  },
  deleteSlackUser: {
    handler: 'functions/api/delete-slack-user.handler',
    permissions: [allow('dynamodb:DeleteItem', getAtt('Table'), leadingKeys('SLACKUSER'))],
  },
  // problem+json 404 for unknown paths and 405 for known paths with another method. API Gateway and
  // serverless-offline (hapi) both try a path's specific methods before its ANY, and a literal path
  // before {proxy+}; unmatched requests would otherwise get API Gateway's 403 "Missing Authentication
  // Token" or serverless-offline's own 404 JSON. infra/stack.js gives it an ANY event on `/`,
  // `{proxy+}` and every path of the route table.
  notFound: {
    handler: 'functions/api/not-found.handler',
    permissions: [],
  },
};
