/**
 * CIDR allocation against DynamoDB Local (started once per run by tests/setup). Each test draws its
 * own pool, so suites sharing the table never see each other's allocations.
 */
import { cidrContains, cidrsOverlap, formatCidr, parseCidr } from '../../shared/domain/cidr';
import {
  CidrAllocator,
  CidrAlreadyAllocatedError,
  CidrOverlapError,
  CidrPoolExhaustedError,
} from '../../shared/store/cidr';
import { TEST_TABLE, testDocumentClient } from '../support/dynamodb';

const allocator = new CidrAllocator(testDocumentClient(), TEST_TABLE);

/** Every environment a test allocates for, released after the test so pools can be reused. */
const allocated: string[] = [];
function newEnvironmentId(): string {
  const id = `env-CIDRTEST${process.pid}${Date.now().toString(36)}${allocated.length}`.toUpperCase();
  allocated.push(id);
  return id;
}

afterEach(async () => {
  await Promise.all(allocated.splice(0).map((id) => allocator.release(id)));
});

/** A /14 (64 /20 blocks) of 10/8 per test; the table is shared with other suites, which do not allocate. */
let poolCounter = 0;
function newPool(prefix = 14): string {
  poolCounter += 1;
  return formatCidr({ address: (0x0a000000 + poolCounter * 2 ** 18) >>> 0, prefix });
}

describe('CidrAllocator', () => {
  it('gives 20 concurrent auto allocations 20 distinct, non-overlapping CIDRs from the pool', async () => {
    const pool = newPool();
    const environments = Array.from({ length: 20 }, newEnvironmentId);

    const cidrs = await Promise.all(environments.map((id) => allocator.allocate(id, 'auto', pool)));

    expect(new Set(cidrs).size).toBe(20);
    for (const [i, cidr] of cidrs.entries()) {
      expect(cidrContains(pool, cidr)).toBe(true);
      for (const other of cidrs.slice(i + 1)) expect(cidrsOverlap(cidr, other)).toBe(false);
    }
  });

  it('refuses an explicit CIDR that overlaps a live allocation, naming its environment', async () => {
    const pool = newPool();
    const owner = newEnvironmentId();
    const vpc = pool.replace('/14', '/16');
    await allocator.allocate(owner, vpc, pool);

    const inside = vpc.replace('.0.0/16', '.32.0/20');
    const attempt = allocator.allocate(newEnvironmentId(), inside, pool);

    await expect(attempt).rejects.toBeInstanceOf(CidrOverlapError);
    await expect(attempt).rejects.toMatchObject({ otherEnvironmentId: owner, otherCidr: vpc });
  });

  it('names neither the other environment nor its CIDR in the message the requester sees', async () => {
    // Prepare
    const pool = newPool();
    const owner = newEnvironmentId();
    const vpc = pool.replace('/14', '/16');
    await allocator.allocate(owner, vpc, pool);
    const inside = vpc.replace('.0.0/16', '.48.0/20');

    // Act
    const error = await allocator
      .allocate(newEnvironmentId(), inside, pool)
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CidrOverlapError);
    const { message } = error as CidrOverlapError;
    expect(message).toContain(inside);
    expect(message).not.toContain(owner);
    expect(message).not.toContain(vpc);
  });

  it('refuses a small explicit CIDR in a /20 another small CIDR already locks', async () => {
    const pool = newPool();
    const base = pool.replace('.0.0/14', '');
    const owner = newEnvironmentId();
    await allocator.allocate(owner, `${base}.1.0/24`, pool);

    const attempt = allocator.allocate(newEnvironmentId(), `${base}.2.0/24`, pool);

    await expect(attempt).rejects.toMatchObject({ name: 'CidrOverlapError', otherEnvironmentId: owner });
  });

  it('skips blocks held by explicit allocations when allocating auto', async () => {
    const pool = newPool(19);
    await allocator.allocate(newEnvironmentId(), pool.replace('/19', '/20'), pool);

    const cidr = await allocator.allocate(newEnvironmentId(), 'auto', pool);

    expect(cidr).toBe(formatCidr({ address: parseCidr(pool).address + 2 ** 12, prefix: 20 }));
  });

  it('returns the same CIDR when a step is retried after success', async () => {
    const pool = newPool();
    const id = newEnvironmentId();
    const first = await allocator.allocate(id, 'auto', pool);

    await expect(allocator.allocate(id, 'auto', pool)).resolves.toBe(first);
    await expect(allocator.allocate(id, first, pool)).resolves.toBe(first);
  });

  it('answers concurrent runs of one step with one CIDR', async () => {
    const pool = newPool();
    const id = newEnvironmentId();

    const cidrs = await Promise.all([1, 2, 3].map(() => allocator.allocate(id, 'auto', pool)));

    expect(new Set(cidrs).size).toBe(1);
    await expect(allocator.allocationOf(id)).resolves.toBe(cidrs[0]);
  });

  it('refuses a different explicit CIDR for an environment that already holds one', async () => {
    const pool = newPool();
    const id = newEnvironmentId();
    const held = await allocator.allocate(id, 'auto', pool);

    const attempt = allocator.allocate(id, pool.replace('/14', '/16'), pool);

    await expect(attempt).rejects.toBeInstanceOf(CidrAlreadyAllocatedError);
    await expect(allocator.allocationOf(id)).resolves.toBe(held);
  });

  it('frees the CIDR on release, and releasing again is a no-op', async () => {
    const pool = newPool();
    const vpc = pool.replace('/14', '/16');
    const first = newEnvironmentId();
    await allocator.allocate(first, vpc, pool);

    await allocator.release(first);
    await allocator.release(first);

    await expect(allocator.allocationOf(first)).resolves.toBeUndefined();
    await expect(allocator.allocate(newEnvironmentId(), vpc, pool)).resolves.toBe(vpc);
  });

  it('reports an exhausted pool', async () => {
    const pool = newPool(19);
    await allocator.allocate(newEnvironmentId(), 'auto', pool);
    await allocator.allocate(newEnvironmentId(), 'auto', pool);

    await expect(allocator.allocate(newEnvironmentId(), 'auto', pool)).rejects.toBeInstanceOf(
      CidrPoolExhaustedError,
    );
  });
});
