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
import { changeStatus, claimAliasRecord, DnsRecordNotOwned, releaseAliasRecord } from '../../shared/aws/dns';
import { ensureLoadBalancer, type LoadBalancerRef } from '../../shared/aws/load-balancer';
import {
  createNetwork,
  environment,
  type SimulatedAws,
  specWith,
  startAws,
  TIME_SCALE,
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

const ours = 'env-01jd5y8q7n3w0s2k4m6p8r0t2v';
const theirs = 'env-01jd5y8q7n3w0s2k4m6p8r0zzz';

async function recordsOf(type: 'A' | 'TXT'): Promise<ResourceRecordSet[]> {
  const answer = await route53Client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return (answer.ResourceRecordSets ?? []).filter((record) => record.Type === type);
}

const aRecords = () => recordsOf('A');

async function createPlainRecord(type: 'A' | 'TXT', value: string): Promise<void> {
  await route53Client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'CREATE',
            ResourceRecordSet: { Name: recordName, Type: type, TTL: 60, ResourceRecords: [{ Value: value }] },
          },
        ],
      },
    }),
  );
}

describe('claimAliasRecord', () => {
  it('creates an A alias to the ALB, evaluating target health, with a TXT marker naming the environment', async () => {
    // Act
    await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);

    // Assess
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
    expect(await recordsOf('TXT')).toEqual([
      expect.objectContaining({ ResourceRecords: [{ Value: `"berth:environment=${ours}"` }] }),
    ]);
  });

  it('returns a change that is PENDING, then INSYNC once Route 53 has propagated it', async () => {
    // Prepare: simulated time 10× slower than the suite's, so the 30–60 AWS seconds of PENDING last
    // at least 300 ms of real time, whatever else the machine is running.
    aws.running.sim.clock.setScale(TIME_SCALE * 10);
    try {
      // Act
      const changeId = await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);

      // Assess
      expect(changeId).not.toContain('/');
      expect(await changeStatus(changeId, route53Client)).toBe('PENDING');
      // The latency model syncs within 30–60 AWS seconds.
      await waitAwsSeconds(61 * 10);
      expect(await changeStatus(changeId, route53Client)).toBe('INSYNC');
    } finally {
      aws.running.sim.clock.setScale(TIME_SCALE);
    }
  });

  it('leaves one record of each when the same environment runs it twice', async () => {
    await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);
    await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);
    expect(await aRecords()).toHaveLength(1);
    expect(await recordsOf('TXT')).toHaveLength(1);
  });

  it('refuses a name that already has a record berth did not make, and leaves it unchanged', async () => {
    // Prepare: someone's own record, e.g. the company's login page.
    await createPlainRecord('A', '192.0.2.10');
    const before = await aRecords();

    // Act
    const claim = claimAliasRecord(zoneId, recordName, ours, alb, route53Client);

    // Assess
    await expect(claim).rejects.toBeInstanceOf(DnsRecordNotOwned);
    expect(await aRecords()).toEqual(before);
    expect(await recordsOf('TXT')).toEqual([]);
  });

  it("refuses another environment's record, and leaves its alias and marker unchanged", async () => {
    // Prepare
    await claimAliasRecord(zoneId, recordName, theirs, alb, route53Client);
    const before = [...(await aRecords()), ...(await recordsOf('TXT'))];

    // Act
    const claim = claimAliasRecord(zoneId, recordName, ours, alb, route53Client);

    // Assess
    await expect(claim).rejects.toMatchObject({ name: 'DnsRecordNotOwned' });
    expect([...(await aRecords()), ...(await recordsOf('TXT'))]).toEqual(before);
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
    await expect(claimAliasRecord(zoneId, recordName, ours, alb, route53Client)).rejects.toMatchObject({
      name: 'Throttling',
    });
  });
});

describe('releaseAliasRecord', () => {
  it('deletes the alias and its marker and returns the change id', async () => {
    await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);
    const changeId = await releaseAliasRecord(zoneId, recordName, ours, { target: alb }, route53Client);
    expect(changeId).toEqual(expect.any(String));
    expect(await aRecords()).toEqual([]);
    expect(await recordsOf('TXT')).toEqual([]);
  });

  it('is done when run again, or when the record never existed', async () => {
    await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);
    await releaseAliasRecord(zoneId, recordName, ours, {}, route53Client);
    await expect(releaseAliasRecord(zoneId, recordName, ours, {}, route53Client)).resolves.toBeUndefined();
    await expect(
      releaseAliasRecord(zoneId, 'never.example.com', ours, {}, route53Client),
    ).resolves.toBeUndefined();
  });

  it('matches the record whatever the case and trailing dot of the name', async () => {
    await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);
    await releaseAliasRecord(zoneId, 'Shop.Example.com.', ours, {}, route53Client);
    expect(await aRecords()).toEqual([]);
  });

  it("deletes nothing of another environment's, even with no ALB to compare (a delete before READY)", async () => {
    // Prepare: another team's environment owns the name; ours named it too and is torn down early.
    await claimAliasRecord(zoneId, recordName, theirs, alb, route53Client);

    // Act
    const result = await releaseAliasRecord(zoneId, recordName, ours, {}, route53Client);

    // Assess
    expect(result).toBeUndefined();
    expect(await aRecords()).toHaveLength(1);
    expect(await recordsOf('TXT')).toHaveLength(1);
  });

  it('keeps an alias repointed at another load balancer, deleting only the marker', async () => {
    await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);
    await releaseAliasRecord(
      zoneId,
      recordName,
      ours,
      { target: { dnsName: 'other-123.us-east-1.elb.amazonaws.com' } },
      route53Client,
    );
    expect(await aRecords()).toHaveLength(1);
    expect(await recordsOf('TXT')).toEqual([]);
  });

  it("leaves a record without berth's marker alone", async () => {
    await createPlainRecord('A', '192.0.2.10');
    await createPlainRecord('TXT', '"v=spf1 -all"');
    await expect(releaseAliasRecord(zoneId, recordName, ours, {}, route53Client)).resolves.toBeUndefined();
    expect(await aRecords()).toHaveLength(1);
    expect(await recordsOf('TXT')).toHaveLength(1);
  });

  it('does not mistake the next record in the zone for the one asked for', async () => {
    await claimAliasRecord(zoneId, 'www.example.com', ours, alb, route53Client);
    await expect(releaseAliasRecord(zoneId, recordName, ours, {}, route53Client)).resolves.toBeUndefined();
    expect(await aRecords()).toHaveLength(1);
  });

  it('is done when the record disappears between the lookup and the DELETE (InvalidChangeBatch)', async () => {
    await claimAliasRecord(zoneId, recordName, ours, alb, route53Client);
    aws.running.sim.faults.add([
      {
        operation: 'ChangeResourceRecordSets',
        code: 'InvalidChangeBatch',
        status: 400,
        message: `[Tried to delete resource record set [name='${recordName}.', type='A'] but it was not found]`,
        count: 1,
      },
    ]);
    await expect(releaseAliasRecord(zoneId, recordName, ours, {}, route53Client)).resolves.toBeUndefined();
  });

  it('is done when the hosted zone itself is gone (NoSuchHostedZone)', async () => {
    await route53Client.send(new DeleteHostedZoneCommand({ Id: zoneId }));
    await expect(releaseAliasRecord(zoneId, recordName, ours, {}, route53Client)).resolves.toBeUndefined();
  });
});
