import {
  GetParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { ECS_OPTIMIZED_AMIS, ssm } from '../src/services/ssm';
import { awsCli } from './aws-cli';
import { type SimulatedServices, startServices } from './simulated-services';

const al2023 = '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';
let services: SimulatedServices;
let client: SSMClient;

beforeAll(async () => {
  services = await startServices([ssm]);
  client = new SSMClient(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await services.running.close();
});

it('answers the recommended Amazon Linux 2023 ECS AMI id', async () => {
  const answer = await client.send(new GetParameterCommand({ Name: al2023 }));

  expect(answer.Parameter).toMatchObject({
    Name: al2023,
    Type: 'String',
    Value: ECS_OPTIMIZED_AMIS['/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended']?.imageId,
    ARN: `arn:aws:ssm:us-east-1::parameter${al2023}`,
    Version: 1,
  });
  expect(answer.Parameter?.Value).toMatch(/^ami-[0-9a-f]{17}$/);
  expect(answer.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
});

it('answers the arm64 and Amazon Linux 2 AMIs, each different', async () => {
  const names = [
    '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
    '/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id',
    '/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id',
  ];

  const values = await Promise.all(
    names.map(async (Name) => (await client.send(new GetParameterCommand({ Name }))).Parameter?.Value),
  );

  expect(new Set(values).size).toBe(3);
});

it('answers the recommended parameter as a JSON document', async () => {
  const answer = await client.send(
    new GetParameterCommand({ Name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended' }),
  );

  expect(JSON.parse(answer.Parameter?.Value ?? '{}')).toMatchObject({
    image_id: expect.stringMatching(/^ami-/),
  });
});

it('answers ParameterNotFound for any other name', async () => {
  await expect(client.send(new GetParameterCommand({ Name: '/berth/missing' }))).rejects.toMatchObject({
    name: 'ParameterNotFound',
    $metadata: { httpStatusCode: 400 },
  });
});

it('splits GetParameters into found and invalid names', async () => {
  const answer = await client.send(new GetParametersCommand({ Names: [al2023, '/berth/missing'] }));

  expect(answer.Parameters?.map((parameter) => parameter.Name)).toEqual([al2023]);
  expect(answer.InvalidParameters).toEqual(['/berth/missing']);
});

describe('through the AWS CLI v2', () => {
  it('reads the ECS-optimised AMI id', async () => {
    const result = await awsCli(['ssm', 'get-parameter', '--name', al2023], {
      endpoint: services.running.url,
    });

    expect((result.json as { Parameter?: { Value?: string } } | undefined)?.Parameter?.Value).toMatch(
      /^ami-/,
    );
  });

  it('reports ParameterNotFound', async () => {
    const result = await awsCli(['ssm', 'get-parameter', '--name', '/berth/missing'], {
      endpoint: services.running.url,
    });

    expect(result.stderr).toContain('ParameterNotFound');
  });
});

describe("the account's own parameters", () => {
  const name = '/berth/dev/test-signing-secret';

  it('stores a SecureString and answers its value only WithDecryption', async () => {
    const put = await client.send(
      new PutParameterCommand({ Name: name, Value: 'not-so-secret', Type: 'SecureString' }),
    );

    const decrypted = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const encrypted = await client.send(new GetParameterCommand({ Name: name }));

    expect(put.Version).toBe(1);
    expect(decrypted.Parameter).toMatchObject({
      Name: name,
      Type: 'SecureString',
      Value: 'not-so-secret',
      ARN: `arn:aws:ssm:us-east-1:${services.running.sim.ctx.accountId}:parameter${name}`,
    });
    expect(encrypted.Parameter?.Value).not.toContain('not-so-secret');
  });

  it('refuses to replace a parameter without Overwrite, and replaces it with it', async () => {
    await expect(
      client.send(new PutParameterCommand({ Name: name, Value: 'other', Type: 'SecureString' })),
    ).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });

    const put = await client.send(
      new PutParameterCommand({ Name: name, Value: 'other', Type: 'SecureString', Overwrite: true }),
    );
    const read = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));

    expect(put.Version).toBe(2);
    expect(read.Parameter).toMatchObject({ Value: 'other', Version: 2 });
  });

  it('refuses names under the reserved aws and ssm prefixes', async () => {
    await expect(
      client.send(new PutParameterCommand({ Name: '/aws/mine', Value: 'x', Type: 'String' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
