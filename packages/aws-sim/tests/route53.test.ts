import {
  ChangeResourceRecordSetsCommand,
  type ChangeResourceRecordSetsCommandInput,
  CreateHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { ALB_CANONICAL_HOSTED_ZONE_ID, route53 } from '../src/services/route53';
import { awsCli } from './aws-cli';
import { type SimulatedServices, startServices, waitAwsSeconds } from './simulated-services';

const albDnsName = 'berth-dev-alb-123456789.us-east-1.elb.amazonaws.com';
let services: SimulatedServices;
let client: Route53Client;

beforeAll(async () => {
  services = await startServices([route53]);
  client = new Route53Client(services.clientConfig);
});

afterAll(async () => {
  client.destroy();
  await services.running.close();
});

beforeEach(() => {
  services.running.sim.reset();
  // The ELBv2 simulation owns load balancers; a stand-in is enough for alias validation.
  services.running.sim.store.put({
    type: 'load-balancer',
    id: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/berth-dev-alb/50dc6c495c0c9188',
    tags: {},
    createdAt: services.running.sim.clock.now(),
    dnsName: albDnsName,
  });
});

async function createZone(name = 'example.com'): Promise<string> {
  const created = await client.send(
    new CreateHostedZoneCommand({ Name: name, CallerReference: `ref-${name}-${Math.random()}` }),
  );
  const id = created.HostedZone?.Id;
  if (!id) throw new Error('no zone id');
  return id;
}

function aliasChange(
  action: 'CREATE' | 'UPSERT' | 'DELETE',
  zoneId: string,
): ChangeResourceRecordSetsCommandInput {
  return {
    HostedZoneId: zoneId,
    ChangeBatch: {
      Changes: [
        {
          Action: action,
          ResourceRecordSet: {
            Name: 'app.example.com',
            Type: 'A',
            AliasTarget: {
              HostedZoneId: ALB_CANONICAL_HOSTED_ZONE_ID,
              DNSName: albDnsName,
              EvaluateTargetHealth: true,
            },
          },
        },
      ],
    },
  };
}

describe('hosted zones', () => {
  it('creates a zone with a Z0 id, name servers and its NS and SOA records', async () => {
    const created = await client.send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: 'r1' }),
    );

    expect(created.HostedZone?.Id).toMatch(/^\/hostedzone\/Z0[A-Z0-9]{19}$/);
    expect(created.HostedZone?.Name).toBe('example.com.');
    expect(created.HostedZone?.ResourceRecordSetCount).toBe(2);
    expect(created.ChangeInfo?.Status).toBe('PENDING');
    expect(created.ChangeInfo?.Id).toMatch(/^\/change\/C/);
    expect(created.DelegationSet?.NameServers).toHaveLength(4);
    expect(created.Location).toBe(`https://route53.amazonaws.com/2013-04-01${created.HostedZone?.Id}`);
  });

  it('refuses a second zone with the same caller reference', async () => {
    await client.send(new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: 'same' }));

    await expect(
      client.send(new CreateHostedZoneCommand({ Name: 'example.org', CallerReference: 'same' })),
    ).rejects.toMatchObject({
      name: 'HostedZoneAlreadyExists',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it('gets and lists zones', async () => {
    const id = await createZone('example.com');
    await createZone('example.org');

    const got = await client.send(new GetHostedZoneCommand({ Id: id }));
    const listed = await client.send(new ListHostedZonesCommand({}));

    expect(got.HostedZone?.Id).toBe(id);
    expect(got.DelegationSet?.NameServers?.length).toBe(4);
    expect(listed.HostedZones?.map((zone) => zone.Name)).toEqual(['example.com.', 'example.org.']);
    expect(listed.IsTruncated).toBe(false);
  });

  it('answers NoSuchHostedZone (404) for an unknown zone', async () => {
    await expect(
      client.send(new GetHostedZoneCommand({ Id: 'Z0NOTAZONE000000000AA' })),
    ).rejects.toMatchObject({
      name: 'NoSuchHostedZone',
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('record changes', () => {
  it('creates an A alias to the ALB: PENDING, then INSYNC after the sync time', async () => {
    const zoneId = await createZone();

    const changed = await client.send(new ChangeResourceRecordSetsCommand(aliasChange('CREATE', zoneId)));
    const changeId = changed.ChangeInfo?.Id ?? '';
    const pending = await client.send(new GetChangeCommand({ Id: changeId }));
    await waitAwsSeconds(60);
    const synced = await client.send(new GetChangeCommand({ Id: changeId }));

    expect(changed.ChangeInfo?.Status).toBe('PENDING');
    expect(pending.ChangeInfo?.Status).toBe('PENDING');
    expect(synced.ChangeInfo?.Status).toBe('INSYNC');
  });

  it('lists the alias record with a normalised name and target', async () => {
    const zoneId = await createZone();
    await client.send(new ChangeResourceRecordSetsCommand(aliasChange('CREATE', zoneId)));

    const listed = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));

    expect(listed.ResourceRecordSets?.map((set) => `${set.Name} ${set.Type}`)).toEqual([
      'example.com. NS',
      'example.com. SOA',
      'app.example.com. A',
    ]);
    expect(listed.ResourceRecordSets?.[2]?.AliasTarget).toEqual({
      HostedZoneId: ALB_CANONICAL_HOSTED_ZONE_ID,
      DNSName: `${albDnsName}.`,
      EvaluateTargetHealth: true,
    });
    expect(listed.ResourceRecordSets?.[0]?.ResourceRecords).toHaveLength(4);
  });

  it('fails a CREATE of an existing record with InvalidChangeBatch', async () => {
    const zoneId = await createZone();
    await client.send(new ChangeResourceRecordSetsCommand(aliasChange('CREATE', zoneId)));

    await expect(
      client.send(new ChangeResourceRecordSetsCommand(aliasChange('CREATE', zoneId))),
    ).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining(
        "Tried to create resource record set [name='app.example.com.', type='A'] but it already exists",
      ),
    });
  });

  it('fails a DELETE of a missing record with InvalidChangeBatch', async () => {
    const zoneId = await createZone();

    await expect(
      client.send(new ChangeResourceRecordSetsCommand(aliasChange('DELETE', zoneId))),
    ).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('but it was not found'),
    });
  });

  it('upserts twice and deletes the record', async () => {
    const zoneId = await createZone();
    await client.send(new ChangeResourceRecordSetsCommand(aliasChange('UPSERT', zoneId)));
    await client.send(new ChangeResourceRecordSetsCommand(aliasChange('UPSERT', zoneId)));

    await client.send(new ChangeResourceRecordSetsCommand(aliasChange('DELETE', zoneId)));
    const listed = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));

    expect(listed.ResourceRecordSets?.map((set) => set.Type)).toEqual(['NS', 'SOA']);
  });

  it('refuses an alias to a load balancer that does not exist', async () => {
    const zoneId = await createZone();
    const change = aliasChange('CREATE', zoneId);
    const target = change.ChangeBatch?.Changes?.[0]?.ResourceRecordSet?.AliasTarget;
    if (target) target.DNSName = 'missing-alb-1.us-east-1.elb.amazonaws.com';

    await expect(client.send(new ChangeResourceRecordSetsCommand(change))).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('does not lie within the target zone'),
    });
  });

  it('applies a batch atomically: one failing change leaves the zone unchanged', async () => {
    const zoneId = await createZone();
    const batch = aliasChange('CREATE', zoneId);
    batch.ChangeBatch?.Changes?.push({
      Action: 'DELETE',
      ResourceRecordSet: {
        Name: 'gone.example.com',
        Type: 'A',
        TTL: 60,
        ResourceRecords: [{ Value: '10.0.0.1' }],
      },
    });

    await expect(client.send(new ChangeResourceRecordSetsCommand(batch))).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
    });
    const listed = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));

    expect(listed.ResourceRecordSets).toHaveLength(2);
  });

  it('answers NoSuchChange (404) for an unknown change id', async () => {
    await expect(client.send(new GetChangeCommand({ Id: 'CNOTACHANGE' }))).rejects.toMatchObject({
      name: 'NoSuchChange',
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('throttling', () => {
  afterEach(() => services.running.sim.clock.setScale(0.001));

  it('answers Throttling (400, Rate exceeded) once the account bucket is empty', async () => {
    // At real speed the bucket (burst 50, 10 per second) cannot refill during the burst.
    services.running.sim.clock.setScale(1);
    const calls = Array.from({ length: 80 }, () =>
      client.send(new ListHostedZonesCommand({})).then(
        () => 'ok',
        (error: { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }) =>
          `${error.name} ${error.$metadata?.httpStatusCode} ${error.message}`,
      ),
    );

    const outcomes = await Promise.all(calls);

    expect(outcomes).toContain('Throttling 400 Rate exceeded');
  });
});

describe('through the AWS CLI v2', () => {
  it('creates a zone and lists its records', async () => {
    const endpoint = services.running.url;
    const created = await awsCli(
      ['route53', 'create-hosted-zone', '--name', 'cli.example.com', '--caller-reference', 'cli-1'],
      { endpoint },
    );
    const zoneId = (created.json as { HostedZone?: { Id?: string } } | undefined)?.HostedZone?.Id ?? '';

    const listed = await awsCli(['route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId], {
      endpoint,
    });

    expect(created.exitCode).toBe(0);
    expect(zoneId).toMatch(/^\/hostedzone\/Z0/);
    expect((listed.json as { ResourceRecordSets?: unknown[] } | undefined)?.ResourceRecordSets).toHaveLength(
      2,
    );
  });

  it('reports InvalidChangeBatch for a DELETE of a missing record', async () => {
    const endpoint = services.running.url;
    const zoneId = await createZone();
    const batch = JSON.stringify(aliasChange('DELETE', zoneId).ChangeBatch);

    const result = await awsCli(
      ['route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', batch],
      { endpoint },
    );

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('InvalidChangeBatch');
  });
});
