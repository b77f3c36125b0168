/**
 * IAM for the simulated Route 53, called through the SDK as a role: record changes are authorised on
 * `arn:aws:route53:::hostedzone/<id>` with the batch's actions, record types and normalised record
 * names as multivalued condition keys; listing records on the zone; GetChange on `change/<id>`.
 * Refusals are `AccessDenied` 403.
 */
import {
  ChangeResourceRecordSetsCommand,
  type ChangeResourceRecordSetsCommandInput,
  CreateHostedZoneCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import type { Statement } from '../src/iam/policy';
import { normalizedRecordName, route53 } from '../src/services/route53';
import { asRole, refusalOf } from './iam-session';
import { type SimulatedServices, startServices } from './simulated-services';

let services: SimulatedServices;
let operator: Route53Client;

const allZones = 'arn:aws:route53:::hostedzone/*';

/** berth's recordChanges(action): one action, A records only (infra/functions/steps.js). */
function recordChanges(action: string): Statement {
  return {
    Effect: 'Allow',
    Action: 'route53:ChangeResourceRecordSets',
    Resource: allZones,
    Condition: {
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsActions': action,
        'route53:ChangeResourceRecordSetsRecordTypes': 'A',
      },
    },
  };
}

beforeAll(async () => {
  services = await startServices([route53]);
  operator = new Route53Client(services.clientConfig);
});

afterAll(async () => {
  operator.destroy();
  await services.running.close();
});

beforeEach(() => {
  services.running.sim.reset();
});

/** A zone made by the operator; its bare id. */
async function createZone(name = 'example.com'): Promise<string> {
  const created = await operator.send(
    new CreateHostedZoneCommand({ Name: name, CallerReference: `ref-${name}-${Math.random()}` }),
  );
  const id = created.HostedZone?.Id?.replace('/hostedzone/', '');
  if (!id) throw new Error('no zone id');
  return id;
}

function aRecordChange(
  action: 'CREATE' | 'UPSERT' | 'DELETE',
  zoneId: string,
  name = 'app.example.com',
): ChangeResourceRecordSetsCommandInput {
  return {
    HostedZoneId: zoneId,
    ChangeBatch: {
      Changes: [
        {
          Action: action,
          ResourceRecordSet: { Name: name, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] },
        },
      ],
    },
  };
}

it('normalises record names as IAM compares them: lower case, no trailing dot, octal escapes', () => {
  // Prepare
  const names = [
    'App.Example.COM.',
    '*.example.com',
    'my_host-1.example.com',
    '\\052.example.com',
    'a b.example.com',
  ];

  // Act
  const normalised = names.map(normalizedRecordName);

  // Assess
  expect(normalised).toEqual([
    'app.example.com',
    '\\052.example.com',
    'my_host-1.example.com',
    '\\052.example.com',
    'a\\040b.example.com',
  ]);
});

it('allows an UPSERT of an A record to berth UPSERT-only grant', async () => {
  // Prepare
  const zoneId = await createZone();
  const client = new Route53Client(asRole(services, 'DnsRole', [recordChanges('UPSERT')]));

  // Act
  const changed = await client.send(new ChangeResourceRecordSetsCommand(aRecordChange('UPSERT', zoneId)));

  // Assess
  expect(changed.ChangeInfo?.Status).toBe('PENDING');
  client.destroy();
});

it('refuses a DELETE to the UPSERT-only grant, naming the hosted zone', async () => {
  // Prepare
  const zoneId = await createZone();
  await operator.send(new ChangeResourceRecordSetsCommand(aRecordChange('UPSERT', zoneId)));
  const client = new Route53Client(asRole(services, 'DnsRole', [recordChanges('UPSERT')]));

  // Act
  const refusal = await refusalOf(
    client.send(new ChangeResourceRecordSetsCommand(aRecordChange('DELETE', zoneId))),
  );

  // Assess
  expect(refusal.name).toBe('AccessDenied');
  expect(refusal.$metadata?.httpStatusCode).toBe(403);
  expect(refusal.message).toContain(
    `route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/${zoneId} `,
  );
  client.destroy();
});

it('refuses a batch whose record types are not all allowed', async () => {
  // Prepare
  const zoneId = await createZone();
  const client = new Route53Client(asRole(services, 'DnsRole', [recordChanges('UPSERT')]));
  const batch = aRecordChange('UPSERT', zoneId);
  batch.ChangeBatch?.Changes?.push({
    Action: 'UPSERT',
    ResourceRecordSet: { Name: 'txt.example.com', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"x"' }] },
  });

  // Act
  const refusal = await refusalOf(client.send(new ChangeResourceRecordSetsCommand(batch)));

  // Assess
  expect(refusal.name).toBe('AccessDenied');
  client.destroy();
});

it('lists a zone and deletes its A record under berth teardown grants', async () => {
  // Prepare
  const zoneId = await createZone();
  await operator.send(new ChangeResourceRecordSetsCommand(aRecordChange('UPSERT', zoneId)));
  const client = new Route53Client(
    asRole(services, 'TeardownDnsRole', [
      { Effect: 'Allow', Action: 'route53:ListResourceRecordSets', Resource: allZones },
      recordChanges('DELETE'),
    ]),
  );

  // Act
  const listed = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  const deleted = await client.send(new ChangeResourceRecordSetsCommand(aRecordChange('DELETE', zoneId)));

  // Assess
  expect(listed.ResourceRecordSets?.map((record) => record.Type)).toContain('A');
  expect(deleted.ChangeInfo?.Id).toBeDefined();
  client.destroy();
});

it('matches record names in their normalised form, and refuses other names', async () => {
  // Prepare
  const zoneId = await createZone();
  const client = new Route53Client(
    asRole(services, 'NamedDnsRole', [
      {
        Effect: 'Allow',
        Action: 'route53:ChangeResourceRecordSets',
        Resource: `arn:aws:route53:::hostedzone/${zoneId}`,
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['app.example.com', '\\052.example.com'],
          },
        },
      },
    ]),
  );

  // Act
  await client.send(new ChangeResourceRecordSetsCommand(aRecordChange('UPSERT', zoneId, 'App.Example.com.')));
  await client.send(new ChangeResourceRecordSetsCommand(aRecordChange('UPSERT', zoneId, '*.example.com')));
  const refusal = await refusalOf(
    client.send(new ChangeResourceRecordSetsCommand(aRecordChange('UPSERT', zoneId, 'other.example.com'))),
  );

  // Assess
  expect(refusal.name).toBe('AccessDenied');
  client.destroy();
});

it('refuses a change in a zone the grant does not name', async () => {
  // Prepare
  const allowedZone = await createZone('example.com');
  const otherZone = await createZone('example.org');
  const client = new Route53Client(
    asRole(services, 'OneZoneRole', [
      {
        Effect: 'Allow',
        Action: 'route53:ChangeResourceRecordSets',
        Resource: `arn:aws:route53:::hostedzone/${allowedZone}`,
      },
    ]),
  );

  // Act
  const refusal = await refusalOf(
    client.send(new ChangeResourceRecordSetsCommand(aRecordChange('UPSERT', otherZone, 'app.example.org'))),
  );

  // Assess
  expect(refusal.message).toContain(`hostedzone/${otherZone}`);
  client.destroy();
});

it('authorises GetChange on the change ARN', async () => {
  // Prepare
  const zoneId = await createZone();
  const changed = await operator.send(new ChangeResourceRecordSetsCommand(aRecordChange('UPSERT', zoneId)));
  const changeId = changed.ChangeInfo?.Id ?? '';
  const allowed = new Route53Client(
    asRole(services, 'ChangeReaderRole', [
      { Effect: 'Allow', Action: 'route53:GetChange', Resource: 'arn:aws:route53:::change/*' },
    ]),
  );
  const zoneOnly = new Route53Client(
    asRole(services, 'ZoneReaderRole', [
      { Effect: 'Allow', Action: 'route53:GetChange', Resource: allZones },
    ]),
  );

  // Act
  const status = await allowed.send(new GetChangeCommand({ Id: changeId }));
  const refusal = await refusalOf(zoneOnly.send(new GetChangeCommand({ Id: changeId })));

  // Assess
  expect(status.ChangeInfo?.Status).toBeDefined();
  expect(refusal.message).toContain(`arn:aws:route53:::change/${changeId.replace('/change/', '')}`);
  allowed.destroy();
  zoneOnly.destroy();
});
