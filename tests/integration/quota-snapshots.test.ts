/**
 * The account's quotas read once for all containers: against DynamoDB Local and the simulated AWS at
 * real time (so Service Quotas' buckets — GetServiceQuota at 5 a second, 10 in a burst — do not
 * refill during a burst), thirty cold containers admitting at once each reading Service Quotas
 * themselves are throttled, while through the shared read one container reads AWS and the others
 * use its read; a read older than the maximum age is read again by one container; a failed read
 * falls back to the older one, and with none fails.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { type RunningSimulator, startSimulator } from '@berth/aws-sim/server';
import { sharedQuotaReads } from '../../shared/app/account-quotas';
import { accountQuotaReader } from '../../shared/aws/service-quotas';
import type { AccountQuotaSnapshot } from '../../shared/domain/usage';
import { QuotaSnapshotStore } from '../../shared/store/quota-snapshots';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';

const CONTAINERS = 30;

let simulator: RunningSimulator;
let clients: { serviceQuotas: ServiceQuotasClient; ec2: EC2Client }[];
let share: QuotaSnapshotStore;
let region: string;

beforeAll(() => {
  share = new QuotaSnapshotStore(testDocumentClient(), TEST_TABLE);
});

beforeEach(async () => {
  // A simulator per test: calls a throttled test's readers still retry must not drain the next one's buckets.
  simulator = await startSimulator({ port: 0, timeScale: 1, seed: 5 });
  // The snapshot's key: a Region of each test's own, so tests never share a read.
  region = `test-${Math.random().toString(36).slice(2, 10)}`;
  const config = {
    endpoint: simulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  // A client pair per container, as each Lambda container builds its own.
  clients = Array.from({ length: CONTAINERS }, () => ({
    serviceQuotas: new ServiceQuotasClient({ ...config, maxAttempts: 3 }),
    ec2: new EC2Client({ ...config, maxAttempts: 3 }),
  }));
});

afterEach(async () => {
  for (const pair of clients) {
    pair.serviceQuotas.destroy();
    pair.ec2.destroy();
  }
  await simulator.close();
});

/** GetServiceQuota calls AWS answered (throttled ones aside). */
const getServiceQuotaCalls = () => {
  const counted = simulator.sim.callCounts().calls.servicequotas?.GetServiceQuota;
  return (counted?.count ?? 0) - (counted?.throttled ?? 0);
};

const snapshot = (vpcs: number): AccountQuotaSnapshot =>
  ({
    account: '000000000000',
    region: 'us-east-1',
    values: { vpcs },
    external: { vpcs: 1 },
  }) as unknown as AccountQuotaSnapshot;

describe('reading the account quotas for a burst of creates', () => {
  it('throttles thirty containers that each read Service Quotas themselves', async () => {
    // Act
    const results = await Promise.allSettled(clients.map((pair) => accountQuotaReader(pair)()));

    // Assess
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect((refused[0] as PromiseRejectedResult).reason.name).toBe('TooManyRequestsException');
    // Thirty containers' SDK retries back off in wall time: a loaded machine needs more than 30 s.
  }, 120_000);

  it('reads AWS once for thirty containers at once, and every one admits with that read', async () => {
    // Prepare
    const readers = clients.map((pair) =>
      sharedQuotaReads(accountQuotaReader(pair), share, { region, maxAgeMs: 60_000 }),
    );

    // Act
    const results = await Promise.allSettled(readers.map((read) => read()));

    // Assess
    expect(
      results.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : [])),
    ).toEqual([]);
    const values = results.map((result) => (result as PromiseFulfilledResult<AccountQuotaSnapshot>).value);
    expect(values.every((value) => value.values.vpcs === 5 && value.external.vpcs === 1)).toBe(true);
    // One read: eight quotas, each once.
    expect(getServiceQuotaCalls()).toBe(8);
  }, 120_000);
});

describe('the age of the shared read', () => {
  it('is reused while younger than the maximum age, and read again by one container after', async () => {
    // Prepare
    let clock = 1_000_000;
    let reads = 0;
    const readAws = async () => {
      reads += 1;
      return snapshot(4 + reads);
    };
    const container = () => sharedQuotaReads(readAws, share, { region, maxAgeMs: 60_000, now: () => clock });
    await container()();

    // Act
    clock += 59_000;
    const young = await Promise.all([container()(), container()()]);
    clock += 2_000;
    // At once: one container reads AWS again, the others wait for its read.
    const racing = await Promise.all([container()(), container()(), container()()]);

    // Assess
    expect(young.map((read) => read.values.vpcs)).toEqual([5, 5]);
    expect(racing.map((read) => read.values.vpcs)).toEqual([6, 6, 6]);
    expect(reads).toBe(2);
  });

  it('falls back to the older read when AWS cannot be read, and fails with none', async () => {
    // Prepare
    let clock = 2_000_000;
    let failing = false;
    let reads = 0;
    const readAws = async () => {
      if (failing) throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
      reads += 1;
      return snapshot(6 + reads);
    };
    const container = () => sharedQuotaReads(readAws, share, { region, maxAgeMs: 1_000, now: () => clock });
    const empty = sharedQuotaReads(readAws, share, {
      region: `${region}-empty`,
      maxAgeMs: 1_000,
      now: () => clock,
    });
    await container()();
    failing = true;
    clock += 5_000;

    // Act
    const older = await container()();
    const none = await empty().catch((error: Error) => error);

    // Assess
    expect(older.values.vpcs).toBe(7);
    expect((none as Error).name).toBe('TooManyRequestsException');
    // The failed read gave the lease back: the next container reads AWS at once.
    failing = false;
    expect((await container()()).values.vpcs).toBe(8);
  });

  it('takes over the lease of a container that died while reading', async () => {
    // Prepare: a lease held until clock + 15 s, and no read yet.
    let clock = 3_000_000;
    await share.claimRefresh(region, clock, clock + 15_000, clock);
    const readAws = async () => snapshot(9);
    const waiting = sharedQuotaReads(readAws, share, {
      region,
      maxAgeMs: 60_000,
      waitMs: 60_000,
      now: () => clock,
      sleep: async () => {
        clock += 1_000;
      },
    });

    // Act
    const read = await waiting();

    // Assess: it waited until the lease ran out, then read AWS itself.
    expect(read.values.vpcs).toBe(9);
    expect(clock).toBeGreaterThan(3_015_000);
  });
});
