import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { ec2 } from '@berth/aws-sim/services/ec2';
import { elbv2 } from '@berth/aws-sim/services/elbv2';
import { route53 } from '@berth/aws-sim/services/route53';
import { changeStatus, deleteAliasRecord, upsertAliasRecord } from '../../shared/aws/dns';
import { ensureLoadBalancer, type LoadBalancerRef } from '../../shared/aws/load-balancer';
import {
  createNetwork,
  environment,
  type SimulatedAws,
  specWith,
  startAws,
  waitAwsSeconds,
} from './simulated-aws';

let aws: SimulatedAws;
let route53Client: Route53Client;
let zoneId: string;
let alb: LoadBalancerRef;
const recordName = 'shop.example.com';

beforeAll(async () => {
  aws = await startAws([ec2, elbv2, route53]);
  route53Client = new Route53Client(aws.clientConfig);
});

afterAll(async () => {
  route53Client.destroy();
  await aws.stop();
});

beforeEach(async () => {
  aws.running.sim.reset();
  const network = await createNetwork(aws);
  // A real (simulated) ALB: Route 53 checks that an alias target exists in the ELB zone it names.
  alb = await ensureLoadBalancer(
    environment(),
    specWith([{ name: 'api' }]).loadBalancer,
    { subnetIds: network.subnetIds, securityGroupId: network.securityGroupId, tags: {} },
    aws.elbv2,
  );
  const zone = await route53Client.send(
    new CreateHostedZoneCommand({
      Name: 'example.com',
      CallerReference: `zone-${Date.now()}-${Math.random()}`,
    }),
  );
  zoneId = zone.HostedZone?.Id ?? '';
});

async function aRecords(): Promise<ResourceRecordSet[]> {
  const answer = await route53Client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return (answer.ResourceRecordSets ?? []).filter((record) => record.Type === 'A');
}

describe('upsertAliasRecord', () => {
  it('points an A alias at the ALB, evaluating target health', async () => {
    await upsertAliasRecord(zoneId, recordName, alb, route53Client);

    expect(await aRecords()).toEqual([
      {
        Name: `${recordName}.`,
        Type: 'A',
        AliasTarget: {
          HostedZoneId: alb.canonicalHostedZoneId,
          DNSName: `${alb.dnsName}.`,
          EvaluateTargetHealth: true,
        },
      },
    ]);
  });

  it('returns a change that is PENDING, then INSYNC once Route 53 has propagated it', async () => {
    const changeId = await upsertAliasRecord(zoneId, recordName, alb, route53Client);
    expect(changeId).not.toContain('/');
    expect(await changeStatus(changeId, route53Client)).toBe('PENDING');
    // The latency model syncs within 30–60 AWS seconds.
    await waitAwsSeconds(61);
    expect(await changeStatus(changeId, route53Client)).toBe('INSYNC');
  });

  it('leaves one record when run twice', async () => {
    await upsertAliasRecord(zoneId, recordName, alb, route53Client);
    await upsertAliasRecord(zoneId, recordName, alb, route53Client);
    expect(await aRecords()).toHaveLength(1);
  });
});

describe('deleteAliasRecord', () => {
  it('deletes the alias and returns the change id', async () => {
    await upsertAliasRecord(zoneId, recordName, alb, route53Client);
    const changeId = await deleteAliasRecord(zoneId, recordName, { target: alb }, route53Client);
    expect(changeId).toEqual(expect.any(String));
    expect(await aRecords()).toEqual([]);
  });

  it('is done when run again, or when the record never existed', async () => {
    await upsertAliasRecord(zoneId, recordName, alb, route53Client);
    await deleteAliasRecord(zoneId, recordName, {}, route53Client);
    await expect(deleteAliasRecord(zoneId, recordName, {}, route53Client)).resolves.toBeUndefined();
    await expect(deleteAliasRecord(zoneId, 'never.example.com', {}, route53Client)).resolves.toBeUndefined();
  });

  it('matches the record whatever the case and trailing dot of the name', async () => {
    await upsertAliasRecord(zoneId, recordName, alb, route53Client);
    await deleteAliasRecord(zoneId, 'Shop.Example.com.', {}, route53Client);
    expect(await aRecords()).toEqual([]);
  });

  it('leaves an alias that now points at another load balancer', async () => {
    await upsertAliasRecord(zoneId, recordName, alb, route53Client);
    const result = await deleteAliasRecord(
      zoneId,
      recordName,
      { target: { dnsName: 'other-123.us-east-1.elb.amazonaws.com' } },
      route53Client,
    );
    expect(result).toBeUndefined();
    expect(await aRecords()).toHaveLength(1);
  });

  it('leaves a plain A record of the same name alone (berth only makes aliases)', async () => {
    await route53Client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: recordName,
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: '192.0.2.10' }],
              },
            },
          ],
        },
      }),
    );
    await expect(deleteAliasRecord(zoneId, recordName, {}, route53Client)).resolves.toBeUndefined();
    expect(await aRecords()).toHaveLength(1);
  });

  it('does not mistake the next record in the zone for the one asked for', async () => {
    await upsertAliasRecord(zoneId, 'www.example.com', alb, route53Client);
    await expect(deleteAliasRecord(zoneId, recordName, {}, route53Client)).resolves.toBeUndefined();
    expect(await aRecords()).toHaveLength(1);
  });

  it('is done when the record disappears between the lookup and the DELETE (InvalidChangeBatch)', async () => {
    await upsertAliasRecord(zoneId, recordName, alb, route53Client);
    aws.running.sim.faults.add([
      {
        operation: 'ChangeResourceRecordSets',
        code: 'InvalidChangeBatch',
        status: 400,
        message: `[Tried to delete resource record set [name='${recordName}.', type='A'] but it was not found]`,
        count: 1,
      },
    ]);
    await expect(deleteAliasRecord(zoneId, recordName, {}, route53Client)).resolves.toBeUndefined();
  });

  it('lets throttling propagate for the caller to classify', async () => {
    aws.running.sim.faults.add([
      {
        operation: 'ChangeResourceRecordSets',
        code: 'Throttling',
        status: 400,
        message: 'Rate exceeded',
        count: 1,
      },
    ]);
    await expect(upsertAliasRecord(zoneId, recordName, alb, route53Client)).rejects.toMatchObject({
      name: 'Throttling',
    });
  });

  it('is done when the hosted zone itself is gone (NoSuchHostedZone)', async () => {
    await route53Client.send(new DeleteHostedZoneCommand({ Id: zoneId }));
    await expect(deleteAliasRecord(zoneId, recordName, {}, route53Client)).resolves.toBeUndefined();
  });
});
