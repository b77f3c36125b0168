/**
 * The Slack front door and the functions status events trigger (EventBridge rules in
 * infra/resources.yml). The Slack routes come from shared/http/routes.json like every other route.
 */
const { allow, getAtt, startExecution, leadingKeys, taskRoleArnPattern, grants } = require('../grants');

const { tableWrite, putEvents, stopExecutions } = grants;

// No JWT authorizer on the Slack routes: Slack cannot send one; every request is checked against
// Slack's signature instead (shared/slack/signature.ts). The signing secret is given to these two
// functions only. A deploy passes it as a parameter read from SSM Parameter Store, e.g.
//   osls deploy --param="slackSigningSecret=$(aws ssm get-parameter --name /berth/<stage>/slack-signing-secret
//     --with-decryption --query Parameter.Value --output text)"
// (or exports SLACK_SIGNING_SECRET); left empty, both answer 500 "Missing required environment variable".
const slackEnvironment = {
  SLACK_SIGNING_SECRET: "${param:slackSigningSecret, env:SLACK_SIGNING_SECRET, ''}",
  SLACK_ADMIN_CONTACT: "${param:slackAdminContact, env:SLACK_ADMIN_CONTACT, 'a berth admin'}",
  // Where a command's or click's response_url may point (comma-separated origins); Slack's own host.
  SLACK_RESPONSE_URL_ORIGINS:
    "${param:slackResponseUrlOrigins, env:SLACK_RESPONSE_URL_ORIGINS, 'https://hooks.slack.com'}",
};

module.exports = {
  // The command creates (provision), the button click deletes (teardown, stopping a provision still
  // running); both act through the use cases, hence the API's table access.
  slackCommands: {
    handler: 'functions/slack/commands.handler',
    // A create from Slack is checked like one from the API, task roles included.
    environment: { ...slackEnvironment, TASK_ROLE_ARN_PATTERN: taskRoleArnPattern },
    // …and admitted against the AWS account's quotas like one from the API.
    permissions: [
      tableWrite,
      startExecution('provision'),
      putEvents,
      grants.serviceQuotaRead,
      grants.accountUsageRead,
    ],
  },
  slackInteractions: {
    handler: 'functions/slack/interactions.handler',
    environment: slackEnvironment,
    permissions: [tableWrite, startExecution('teardown'), stopExecutions, putEvents],
  },
  // Status events → the Slack conversation that asked (SlackNotifierRule). A response_url lives 30
  // minutes, so older events are worth nothing. Only its own items (partition keys SLACKREPLY#…).
  slackNotifier: {
    handler: 'functions/slack/notifier.handler',
    maximumRetryAttempts: 2,
    maximumEventAge: 1800,
    permissions: [
      allow(['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], getAtt('Table'), leadingKeys('SLACKREPLY')),
    ],
  },
  // Status-event callbacks: triggered by CallbackRule, never by a workflow, so a team's endpoint being
  // down cannot hold a workflow up. It retries with backoff itself (6 attempts, at most ~65 s with 5 s
  // per attempt), then logs "callback delivery gave up"; Lambda's async retries cover only its own
  // crashes and timeouts. It talks to teams' endpoints only: its log group is all it may touch in AWS.
  // The signing secret is given to this function alone. A deploy passes --param
  // callbackSigningSecret=… (or exports CALLBACK_SIGNING_SECRET); left empty, every delivery fails
  // with "Missing required environment variable".
  deliverCallback: {
    handler: 'functions/deliver-callback.handler',
    timeout: 90,
    maximumRetryAttempts: 2,
    maximumEventAge: 3600,
    environment: {
      CALLBACK_SIGNING_SECRET: "${param:callbackSigningSecret, env:CALLBACK_SIGNING_SECRET, ''}",
    },
    permissions: [],
  },
};
