/**
 * The Slack front door and the functions status events trigger (EventBridge rules in
 * infra/resources.yml). The Slack routes come from shared/http/routes.json like every other route.
 */
const { allow, arn, getAtt, startExecution, leadingKeys, taskRoleArnPattern, grants } = require('../grants');
const { signingSecretParameter } = require('../signing-secrets');

const { tableWrite, putEvents, stopExecutions } = grants;

/**
 * Reading one signing secret: its SecureString parameter's name in the environment, and
 * ssm:GetParameter on exactly that parameter (the AWS managed key aws/ssm needs no kms:Decrypt grant:
 * docs/aws-facts.md#signing-secrets-in-ssm). The value never enters the template.
 */
function readsSigningSecret(variable, key) {
  const name = signingSecretParameter(key);
  return {
    environment: { [variable]: name },
    permission: allow('ssm:GetParameter', arn('ssm', `parameter${name}`)),
  };
}

// No JWT authorizer on the Slack routes: Slack cannot send one; every request is checked against
// Slack's signature instead (shared/slack/signature.ts). The signing secret is readable by these two
// functions only, from SSM at cold start; without the parameter both answer 500.
const slackSecret = readsSigningSecret('SLACK_SIGNING_SECRET_PARAMETER', 'slack-signing-secret');
const callbackSecret = readsSigningSecret('CALLBACK_SIGNING_SECRET_PARAMETER', 'callback-signing-secret');
const slackEnvironment = {
  ...slackSecret.environment,
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
      slackSecret.permission,
    ],
  },
  slackInteractions: {
    handler: 'functions/slack/interactions.handler',
    environment: slackEnvironment,
    permissions: [tableWrite, startExecution('teardown'), stopExecutions, putEvents, slackSecret.permission],
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
  // crashes and timeouts. It talks to teams' endpoints only: in AWS it may touch its log group and
  // read the master signing secret, which this function alone may read; without the parameter every
  // delivery fails.
  deliverCallback: {
    handler: 'functions/deliver-callback.handler',
    timeout: 90,
    maximumRetryAttempts: 2,
    maximumEventAge: 3600,
    environment: callbackSecret.environment,
    permissions: [callbackSecret.permission],
  },
};
