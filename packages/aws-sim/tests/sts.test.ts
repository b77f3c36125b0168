import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { sts } from '../src/services/sts';
import { awsCli } from './aws-cli';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;

beforeAll(async () => {
  services = await startServices([sts]);
});

afterAll(async () => {
  await services.running.close();
});

it('answers the local account and user', async () => {
  const client = new STSClient(services.clientConfig);

  const identity = await client.send(new GetCallerIdentityCommand({}));
  client.destroy();

  expect(identity).toMatchObject({
    Account: '000000000000',
    Arn: 'arn:aws:iam::000000000000:user/berth-local',
    UserId: expect.stringMatching(/^AIDA/),
  });
});

it('answers the same identity through the AWS CLI v2', async () => {
  const result = await awsCli(['sts', 'get-caller-identity'], { endpoint: services.running.url });

  expect(result.json).toMatchObject({
    Account: '000000000000',
    Arn: 'arn:aws:iam::000000000000:user/berth-local',
  });
});
