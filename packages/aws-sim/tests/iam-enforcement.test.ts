/**
 * IAM enforcement in the request path: a call signed with credentials the simulator issued for a role
 * is evaluated against that role, refused with the service's own code naming the action and resource;
 * the operator's credentials are not evaluated; the control API switches enforcement off.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ec2 } from '../src/services/ec2';
import { logs } from '../src/services/logs';
import { sts } from '../src/services/sts';
import { asRole, refusalOf, sessionOf } from './iam-session';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;

beforeAll(async () => {
  services = await startServices([ec2, logs, sts]);
});

afterAll(async () => {
  await services.running.close();
});

beforeEach(() => {
  services.running.sim.iam.enforce = true;
});

const describeZones = { Effect: 'Allow' as const, Action: 'ec2:DescribeAvailabilityZones', Resource: '*' };

it('answers a call its role allows', async () => {
  // Prepare
  const client = new EC2Client(asRole(services, 'ReaderRole', [describeZones]));

  // Act
  const answer = await client.send(new DescribeAvailabilityZonesCommand({}));

  // Assess
  expect(answer.AvailabilityZones?.length).toBeGreaterThan(0);
  client.destroy();
});

it('refuses an EC2 call its role does not allow with UnauthorizedOperation naming action and resource', async () => {
  // Prepare
  const client = new EC2Client(asRole(services, 'NoEc2Role', []));

  // Act
  const refusal = await refusalOf(client.send(new DescribeAvailabilityZonesCommand({})));

  // Assess
  expect(refusal.name).toBe('UnauthorizedOperation');
  expect(refusal.$metadata?.httpStatusCode).toBe(403);
  expect(refusal.message).toContain(
    'User: arn:aws:sts::000000000000:assumed-role/NoEc2Role/NoEc2Role-session is not authorized to perform: ec2:DescribeAvailabilityZones on resource: *',
  );
  client.destroy();
});

it('refuses a JSON-protocol call with AccessDeniedException, and an explicit Deny wins over an Allow', async () => {
  // Prepare
  const client = new CloudWatchLogsClient(
    asRole(services, 'DeniedLogsRole', [
      { Effect: 'Allow', Action: 'logs:*', Resource: '*' },
      { Effect: 'Deny', Action: 'logs:DescribeLogGroups', Resource: '*' },
    ]),
  );

  // Act
  const refusal = await refusalOf(client.send(new DescribeLogGroupsCommand({})));

  // Assess
  expect(refusal.name).toBe('AccessDeniedException');
  expect(refusal.message).toContain('with an explicit deny');
  client.destroy();
});

it('does not evaluate the operator, and lets the control API switch enforcement off', async () => {
  // Prepare
  const operator = new EC2Client(services.clientConfig);
  const denied = new EC2Client(asRole(services, 'SwitchedRole', []));

  // Act
  const operatorAnswer = await operator.send(new DescribeAvailabilityZonesCommand({}));
  const switched = await fetch(`${services.running.url}/_local/iam`, {
    method: 'PUT',
    body: JSON.stringify({ enforce: false }),
  });
  const answerWhenOff = await denied.send(new DescribeAvailabilityZonesCommand({}));

  // Assess
  expect(operatorAnswer.AvailabilityZones?.length).toBeGreaterThan(0);
  expect(switched.status).toBe(200);
  expect(answerWhenOff.AvailabilityZones?.length).toBeGreaterThan(0);
  operator.destroy();
  denied.destroy();
});

it('lists the denials and the grants no request used', async () => {
  // Prepare
  const credentials = sessionOf(services.running, 'UsageRole', [
    describeZones,
    { Effect: 'Allow', Action: ['ec2:DescribeVpcs', 'ec2:DescribeSubnets'], Resource: '*' },
  ]);
  const client = new EC2Client({ ...services.clientConfig, credentials });
  await client.send(new DescribeAvailabilityZonesCommand({}));

  // Act
  const unused = (await (await fetch(`${services.running.url}/_local/iam/unused`)).json()) as {
    unused: Array<{ role: string; statement: number; actions: string[]; wholeStatement: boolean }>;
  };

  // Assess
  expect(unused.unused.filter((grant) => grant.role === 'UsageRole')).toEqual([
    {
      role: 'UsageRole',
      statement: 1,
      actions: ['ec2:DescribeVpcs', 'ec2:DescribeSubnets'],
      wholeStatement: true,
    },
  ]);
  client.destroy();
});

it('issues credentials through the control API, and STS still answers for them', async () => {
  // Prepare
  sessionOf(services.running, 'StsRole', [
    { Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
  ]);
  const issued = await fetch(`${services.running.url}/_local/iam/credentials`, {
    method: 'POST',
    body: JSON.stringify({ roleName: 'StsRole', sessionName: 'berth-dev-fn' }),
  });
  const credentials = (await issued.json()) as {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
  };
  const client = new STSClient({ ...services.clientConfig, credentials });

  // Act
  const identity = await client.send(new GetCallerIdentityCommand({}));

  // Assess
  expect(issued.status).toBe(201);
  expect(identity.Account).toBe('000000000000');
  client.destroy();
});
