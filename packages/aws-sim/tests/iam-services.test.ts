/**
 * IAM for the simulated CloudWatch Logs, SSM Parameter Store, STS, EventBridge and SQS, called
 * through the SDK as a role with berth-like grants: each create or call its grant allows succeeds,
 * and the same call is refused without the request tag, without the implicit tagging grant, or on a
 * resource the grant does not name, with the service's own refusal code.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Statement } from '../src/iam/policy';
import { eventbridge } from '../src/services/eventbridge';
import { logs } from '../src/services/logs';
import { sqs } from '../src/services/sqs';
import { ssm } from '../src/services/ssm';
import { sts } from '../src/services/sts';
import { ACCOUNT, arn, asRole, REGION, refusalOf } from './iam-session';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;

const berthTags = { 'berth:managed-by': 'berth' };
const resourceTagBerth = { StringEquals: { 'aws:ResourceTag/berth:managed-by': 'berth' } };

beforeAll(async () => {
  services = await startServices([logs, ssm, sts, eventbridge, sqs]);
});

afterAll(async () => {
  await services.running.close();
});

beforeEach(() => {
  services.running.sim.reset();
});

describe('CloudWatch Logs', () => {
  const berthLogGroups = arn('logs', 'log-group:/berth/*');
  /** berth's prepareService step, Logs part (infra/functions/steps.js). */
  const prepareServiceGrants: Statement[] = [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:TagResource', 'logs:PutRetentionPolicy'],
      Resource: berthLogGroups,
    },
  ];

  it('creates a tagged log group and sets its retention under berth prepareService grants', async () => {
    // Prepare
    const client = new CloudWatchLogsClient(asRole(services, 'LogsRole', prepareServiceGrants));

    // Act
    await client.send(new CreateLogGroupCommand({ logGroupName: '/berth/dev/web', tags: berthTags }));
    await client.send(new PutRetentionPolicyCommand({ logGroupName: '/berth/dev/web', retentionInDays: 30 }));

    // Assess
    const operator = new CloudWatchLogsClient(services.clientConfig);
    const listed = await operator.send(new DescribeLogGroupsCommand({}));
    expect(listed.logGroups?.[0]).toMatchObject({ logGroupName: '/berth/dev/web', retentionInDays: 30 });
    operator.destroy();
    client.destroy();
  });

  it('refuses a create with tags without logs:TagResource, with AccessDeniedException 400', async () => {
    // Prepare
    const client = new CloudWatchLogsClient(
      asRole(services, 'LogsNoTagRole', [
        { Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: berthLogGroups },
      ]),
    );

    // Act
    const refusal = await refusalOf(
      client.send(new CreateLogGroupCommand({ logGroupName: '/berth/dev/web', tags: berthTags })),
    );
    const untagged = await client.send(new CreateLogGroupCommand({ logGroupName: '/berth/dev/worker' }));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.$metadata?.httpStatusCode).toBe(400);
    expect(refusal.message).toContain(
      `logs:TagResource on resource: ${arn('logs', 'log-group:/berth/dev/web')} `,
    );
    expect(untagged.$metadata.httpStatusCode).toBe(200);
    client.destroy();
  });

  it('authorises name-addressed calls on log-group:<name>:log-stream:, which a bare group ARN does not match', async () => {
    // Prepare
    const operator = new CloudWatchLogsClient(services.clientConfig);
    await operator.send(new CreateLogGroupCommand({ logGroupName: 'app' }));
    operator.destroy();
    const bare = new CloudWatchLogsClient(
      asRole(services, 'BareArnRole', [
        { Effect: 'Allow', Action: 'logs:PutRetentionPolicy', Resource: arn('logs', 'log-group:app') },
      ]),
    );
    const starred = new CloudWatchLogsClient(
      asRole(services, 'StarredArnRole', [
        { Effect: 'Allow', Action: 'logs:PutRetentionPolicy', Resource: arn('logs', 'log-group:app:*') },
      ]),
    );

    // Act
    const refusal = await refusalOf(
      bare.send(new PutRetentionPolicyCommand({ logGroupName: 'app', retentionInDays: 7 })),
    );
    const allowed = await starred.send(
      new PutRetentionPolicyCommand({ logGroupName: 'app', retentionInDays: 7 }),
    );

    // Assess
    expect(refusal.message).toContain(`on resource: ${arn('logs', 'log-group:app:log-stream:')} `);
    expect(allowed.$metadata.httpStatusCode).toBe(200);
    bare.destroy();
    starred.destroy();
  });

  it('deletes only log groups carrying berth tag under a resource-tag grant', async () => {
    // Prepare
    const operator = new CloudWatchLogsClient(services.clientConfig);
    await operator.send(new CreateLogGroupCommand({ logGroupName: '/berth/ours', tags: berthTags }));
    await operator.send(new CreateLogGroupCommand({ logGroupName: '/berth/theirs' }));
    const client = new CloudWatchLogsClient(
      asRole(services, 'LogsDeleteRole', [
        {
          Effect: 'Allow',
          Action: 'logs:DeleteLogGroup',
          Resource: berthLogGroups,
          Condition: resourceTagBerth,
        },
      ]),
    );

    // Act
    await client.send(new DeleteLogGroupCommand({ logGroupName: '/berth/ours' }));
    const refusal = await refusalOf(
      client.send(new DeleteLogGroupCommand({ logGroupName: '/berth/theirs' })),
    );

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    operator.destroy();
    client.destroy();
  });

  it('authorises DescribeLogGroups so that log-group:* allows it and a prefix grant does not', async () => {
    // Prepare
    const anyGroup = new CloudWatchLogsClient(
      asRole(services, 'AnyGroupRole', [
        { Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: arn('logs', 'log-group:*') },
      ]),
    );
    const prefixed = new CloudWatchLogsClient(
      asRole(services, 'PrefixRole', [
        { Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: berthLogGroups },
      ]),
    );

    // Act
    const listed = await anyGroup.send(new DescribeLogGroupsCommand({}));
    const refusal = await refusalOf(
      prefixed.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/berth/' })),
    );

    // Assess
    expect(listed.logGroups).toEqual([]);
    expect(refusal.message).toContain(`on resource: ${arn('logs', 'log-group::log-stream:')} `);
    anyGroup.destroy();
    prefixed.destroy();
  });
});

describe('SSM Parameter Store', () => {
  const amiParameter = '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';

  it('reads a public parameter under berth createCluster grant, whose ARN has no account', async () => {
    // Prepare
    const client = new SSMClient(
      asRole(services, 'AmiReaderRole', [
        {
          Effect: 'Allow',
          Action: 'ssm:GetParameter',
          Resource: `arn:aws:ssm:${REGION}::parameter/aws/service/ecs/optimized-ami/*`,
        },
      ]),
    );

    // Act
    const answer = await client.send(new GetParameterCommand({ Name: amiParameter }));

    // Assess
    expect(answer.Parameter?.Value).toMatch(/^ami-/);
    client.destroy();
  });

  it('refuses a public parameter to a grant that puts the account in its ARN', async () => {
    // Prepare
    const client = new SSMClient(
      asRole(services, 'AccountAmiRole', [
        { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: arn('ssm', 'parameter/aws/service/*') },
      ]),
    );

    // Act
    const refusal = await refusalOf(client.send(new GetParameterCommand({ Name: amiParameter })));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(`on resource: arn:aws:ssm:${REGION}::parameter${amiParameter} `);
    client.destroy();
  });
});

describe('STS', () => {
  it('answers a role session its assumed-role identity without any grant', async () => {
    // Prepare
    const client = new STSClient(asRole(services, 'NoGrantsRole', []));

    // Act
    const identity = await client.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(identity).toMatchObject({
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/NoGrantsRole/NoGrantsRole-session`,
      UserId: expect.stringMatching(/^AROA[A-Z2-7]{17}:NoGrantsRole-session$/),
    });
    client.destroy();
  });

  it('answers an explicitly denied role session too, and the operator as the local user', async () => {
    // Prepare
    const denied = new STSClient(
      asRole(services, 'DeniedStsRole', [{ Effect: 'Deny', Action: 'sts:GetCallerIdentity', Resource: '*' }]),
    );
    const operator = new STSClient(services.clientConfig);

    // Act
    const deniedIdentity = await denied.send(new GetCallerIdentityCommand({}));
    const operatorIdentity = await operator.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(deniedIdentity.Arn).toContain(':assumed-role/DeniedStsRole/');
    expect(operatorIdentity.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/berth-local`);
    denied.destroy();
    operator.destroy();
  });
});

describe('EventBridge', () => {
  const berthBus = arn('events', 'event-bus/berth-dev');
  const statusEvent = (bus: string) => ({
    Entries: [
      { EventBusName: bus, Source: 'berth', DetailType: 'Environment Status', Detail: '{"status":"READY"}' },
    ],
  });

  it('puts events on the bus its grant names, and refuses them on another bus', async () => {
    // Prepare
    const client = new EventBridgeClient(
      asRole(services, 'PutEventsRole', [
        { Effect: 'Allow', Action: 'events:PutEvents', Resource: berthBus },
      ]),
    );

    // Act
    const put = await client.send(new PutEventsCommand(statusEvent('berth-dev')));
    const refusal = await refusalOf(client.send(new PutEventsCommand(statusEvent('default'))));

    // Assess
    expect(put.FailedEntryCount).toBe(0);
    expect(refusal.name).toBe('AccessDeniedException');
    expect(refusal.message).toContain(`events:PutEvents on resource: ${arn('events', 'event-bus/default')} `);
    client.destroy();
  });

  it('evaluates events:source per entry', async () => {
    // Prepare
    const client = new EventBridgeClient(
      asRole(services, 'SourceRole', [
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: berthBus,
          Condition: { StringEquals: { 'events:source': 'berth' } },
        },
      ]),
    );
    const otherSource = statusEvent('berth-dev');
    const [entry] = otherSource.Entries;
    if (entry) entry.Source = 'someone-else';

    // Act
    await client.send(new PutEventsCommand(statusEvent('berth-dev')));
    const refusal = await refusalOf(client.send(new PutEventsCommand(otherSource)));

    // Assess
    expect(refusal.name).toBe('AccessDeniedException');
    client.destroy();
  });

  it('refuses a bus created with tags without events:TagResource', async () => {
    // Prepare
    const createOnly = new EventBridgeClient(
      asRole(services, 'BusCreateRole', [
        { Effect: 'Allow', Action: 'events:CreateEventBus', Resource: berthBus },
      ]),
    );
    const withTagging = new EventBridgeClient(
      asRole(services, 'BusTagRole', [
        { Effect: 'Allow', Action: ['events:CreateEventBus', 'events:TagResource'], Resource: berthBus },
      ]),
    );
    const input = { Name: 'berth-dev', Tags: [{ Key: 'berth:managed-by', Value: 'berth' }] };

    // Act
    const refusal = await refusalOf(createOnly.send(new CreateEventBusCommand(input)));
    const created = await withTagging.send(new CreateEventBusCommand(input));

    // Assess
    expect(refusal.message).toContain('events:TagResource');
    expect(created.EventBusArn).toBe(berthBus);
    createOnly.destroy();
    withTagging.destroy();
  });
});

describe('SQS', () => {
  /** berth's createJobs step, SQS part. */
  const createJobsGrants: Statement[] = [
    {
      Effect: 'Allow',
      Action: [
        'sqs:CreateQueue',
        'sqs:GetQueueUrl',
        'sqs:GetQueueAttributes',
        'sqs:SetQueueAttributes',
        'sqs:TagQueue',
        'sqs:DeleteQueue',
      ],
      Resource: arn('sqs', 'berth-*'),
    },
  ];

  it('creates a tagged queue, reads it by URL and name, and deletes it under berth createJobs grants', async () => {
    // Prepare
    const client = new SQSClient(asRole(services, 'JobsRole', createJobsGrants));

    // Act
    const created = await client.send(
      new CreateQueueCommand({ QueueName: 'berth-dev-jobs', tags: berthTags }),
    );
    const found = await client.send(new GetQueueUrlCommand({ QueueName: 'berth-dev-jobs' }));
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: found.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await client.send(new DeleteQueueCommand({ QueueUrl: created.QueueUrl }));

    // Assess
    expect(attributes.Attributes?.QueueArn).toBe(arn('sqs', 'berth-dev-jobs'));
    client.destroy();
  });

  it('refuses a queue created with tags without sqs:TagQueue, with AccessDenied 403', async () => {
    // Prepare
    const client = new SQSClient(
      asRole(services, 'QueueNoTagRole', [
        { Effect: 'Allow', Action: 'sqs:CreateQueue', Resource: arn('sqs', 'berth-*') },
      ]),
    );

    // Act
    const refusal = await refusalOf(
      client.send(new CreateQueueCommand({ QueueName: 'berth-dev-jobs', tags: berthTags })),
    );
    const untagged = await client.send(new CreateQueueCommand({ QueueName: 'berth-dev-other' }));

    // Assess
    expect(refusal.name).toBe('AccessDenied');
    expect(refusal.$metadata?.httpStatusCode).toBe(403);
    expect(refusal.message).toContain(`sqs:TagQueue on resource: ${arn('sqs', 'berth-dev-jobs')} `);
    expect(untagged.QueueUrl).toContain('/berth-dev-other');
    client.destroy();
  });

  it('refuses a queue whose URL names one outside the grant', async () => {
    // Prepare
    const operator = new SQSClient(services.clientConfig);
    const other = await operator.send(new CreateQueueCommand({ QueueName: 'other-queue' }));
    const client = new SQSClient(asRole(services, 'JobsRole', createJobsGrants));

    // Act
    const refusal = await refusalOf(client.send(new DeleteQueueCommand({ QueueUrl: other.QueueUrl })));

    // Assess
    expect(refusal.message).toContain(`sqs:DeleteQueue on resource: ${arn('sqs', 'other-queue')} `);
    operator.destroy();
    client.destroy();
  });
});
