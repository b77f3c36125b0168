/**
 * The signing secrets as the functions read them: from SecureString parameters in (simulated) SSM, as
 * the roles infra/functions/slack-and-events.js declares, once per container.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Statement } from '@berth/aws-sim/iam/policy';
import { ssm } from '@berth/aws-sim/services/ssm';
import { asRole, refusalOf } from '@berth/aws-sim/tests/iam-session';
import { type SimulatedServices, startServices } from '@berth/aws-sim/tests/simulated-services';
import { signingSecret } from '../../shared/wiring/signing-secrets';

const STAGE = 'dev';
const { signingSecretParameter } = require('../../infra/signing-secrets') as {
  signingSecretParameter: (key: string, stage: string) => string;
};
const CALLBACK_PARAMETER = signingSecretParameter('callback-signing-secret', STAGE);
const SLACK_PARAMETER = signingSecretParameter('slack-signing-secret', STAGE);

/** A function's declared SSM statements, with the stage and the pseudo parameters filled in. */
function ssmGrantsOf(functionKey: string): Statement[] {
  const functions = require('../../infra/functions/slack-and-events.js') as Record<
    string,
    { permissions: unknown[] }
  >;
  const values: Record<string, string> = {
    'sls:stage': STAGE,
    'AWS::Partition': 'aws',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': '000000000000',
  };
  const text = JSON.stringify(functions[functionKey]?.permissions ?? []).replace(
    /\$\{([\w:]+)\}/g,
    (placeholder, name: string) => values[name] ?? placeholder,
  );
  const statements = JSON.parse(text, (_key, value: unknown) =>
    typeof value === 'object' && value !== null && 'Fn::Sub' in value
      ? (value as { 'Fn::Sub': string })['Fn::Sub']
      : value,
  ) as Statement[];
  return statements.filter((statement) => JSON.stringify(statement.Action).includes('ssm:'));
}

let services: SimulatedServices;
let operator: SSMClient;

beforeAll(async () => {
  services = await startServices([ssm]);
  operator = new SSMClient(services.clientConfig);
  for (const [name, value] of [
    [CALLBACK_PARAMETER, 'callback-master'],
    [SLACK_PARAMETER, 'slack-secret'],
  ] as const) {
    await operator.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString' }));
  }
  process.env.CALLBACK_SIGNING_SECRET_PARAMETER = CALLBACK_PARAMETER;
  process.env.SLACK_SIGNING_SECRET_PARAMETER = SLACK_PARAMETER;
});

afterAll(async () => {
  delete process.env.CALLBACK_SIGNING_SECRET_PARAMETER;
  delete process.env.SLACK_SIGNING_SECRET_PARAMETER;
  operator.destroy();
  await services.running.close();
});

it("reads the callback master with the deliverer's role, once per container", async () => {
  const asDeliverer = new SSMClient(asRole(services, 'DeliverCallbackRole', ssmGrantsOf('deliverCallback')));

  const first = await signingSecret('CALLBACK_SIGNING_SECRET_PARAMETER', asDeliverer);
  await operator.send(
    new PutParameterCommand({
      Name: CALLBACK_PARAMETER,
      Value: 'rotated',
      Type: 'SecureString',
      Overwrite: true,
    }),
  );
  const second = await signingSecret('CALLBACK_SIGNING_SECRET_PARAMETER', asDeliverer);

  expect(first).toBe('callback-master');
  expect(second).toBe('callback-master');
  asDeliverer.destroy();
});

it("refuses the Slack secret to the deliverer's role, and reads it with the Slack function's after", async () => {
  const asDeliverer = new SSMClient(asRole(services, 'DeliverCallbackRole', ssmGrantsOf('deliverCallback')));
  const asSlack = new SSMClient(asRole(services, 'SlackCommandsRole', ssmGrantsOf('slackCommands')));

  const refusal = await refusalOf(signingSecret('SLACK_SIGNING_SECRET_PARAMETER', asDeliverer));
  const secret = await signingSecret('SLACK_SIGNING_SECRET_PARAMETER', asSlack);

  expect(refusal.name).toBe('AccessDeniedException');
  expect(refusal.message).toContain('ssm:GetParameter');
  expect(secret).toBe('slack-secret');
  asDeliverer.destroy();
  asSlack.destroy();
});
