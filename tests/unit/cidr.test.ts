import fc from 'fast-check';
import {
  cidrContains,
  cidrRange,
  cidrsOverlap,
  formatCidr,
  InvalidCidrError,
  lockBlocks,
  normalizeCidr,
  parseCidr,
  plannedSubnetPrefix,
  planSubnets,
  poolBlocks,
  usableAddresses,
} from '../../shared/domain/cidr';

describe('parseCidr / formatCidr', () => {
  it('round-trips a CIDR', () => {
    expect(formatCidr(parseCidr('10.20.0.0/16'))).toBe('10.20.0.0/16');
    expect(parseCidr('192.168.255.240/28')).toEqual({ address: 0xc0a8fff0, prefix: 28 });
  });

  it('keeps addresses above 2^31 unsigned', () => {
    expect(parseCidr('255.255.255.255/32').address).toBe(0xffffffff);
    expect(formatCidr({ address: 0xfffffff0, prefix: 28 })).toBe('255.255.255.240/28');
  });

  it.each([
    '10.0.0.0',
    '10.0.0/16',
    '256.0.0.0/8',
    '10.0.0.0/33',
    '010.0.0.0/8',
    '10.0.0.0/-1',
    ' 10.0.0.0/8',
  ])('refuses %p', (text) => {
    expect(() => parseCidr(text)).toThrow(InvalidCidrError);
  });

  it('refuses host bits unless asked to clear them', () => {
    expect(() => parseCidr('10.0.0.1/16')).toThrow(/host bits are set: the network address is 10.0.0.0\/16/);
    expect(parseCidr('203.0.113.7/24', { allowHostBits: true })).toEqual(parseCidr('203.0.113.0/24'));
  });

  it('normalises to the canonical text', () => {
    expect(normalizeCidr('10.1.0.0/16')).toBe('10.1.0.0/16');
  });
});

describe('cidrContains / cidrsOverlap', () => {
  it('contains nested blocks and itself', () => {
    expect(cidrContains('10.0.0.0/16', '10.0.16.0/20')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.0.0.0/16')).toBe(true);
    expect(cidrContains('10.0.16.0/20', '10.0.0.0/16')).toBe(false);
    expect(cidrContains('10.0.0.0/16', '10.1.0.0/24')).toBe(false);
  });

  it('overlaps when blocks nest, not when they touch', () => {
    expect(cidrsOverlap('10.0.0.0/16', '10.0.255.0/24')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/24', '10.0.1.0/24')).toBe(false);
    expect(cidrsOverlap('0.0.0.0/0', '192.168.0.0/16')).toBe(true);
  });
});

describe('plannedSubnetPrefix / usableAddresses', () => {
  it('plans subnets four bits below the VPC, as planSubnets cuts them', () => {
    const prefixes = [16, 20, 24].map(plannedSubnetPrefix);
    const cut = ['10.20.0.0/16', '10.20.0.0/20', '10.20.0.0/24'].map(
      (vpc) => planSubnets(vpc, 2).app[0]?.split('/')[1],
    );

    expect(prefixes).toEqual([20, 24, 28]);
    expect(cut).toEqual(['20', '24', '28']);
  });

  it('leaves a subnet its size less the five addresses AWS reserves', () => {
    expect([28, 27, 24, 20].map(usableAddresses)).toEqual([11, 27, 251, 4091]);
  });
});

describe('planSubnets', () => {
  it('splits a /16 into /20 subnets, one quarter per tier', () => {
    expect(planSubnets('10.20.0.0/16', 3)).toEqual({
      public: ['10.20.0.0/20', '10.20.16.0/20', '10.20.32.0/20'],
      app: ['10.20.64.0/20', '10.20.80.0/20', '10.20.96.0/20'],
      database: ['10.20.128.0/20', '10.20.144.0/20', '10.20.160.0/20'],
    });
  });

  it('splits a /24 into /28 subnets, AWS smallest', () => {
    expect(planSubnets('192.168.7.0/24', 2)).toEqual({
      public: ['192.168.7.0/28', '192.168.7.16/28'],
      app: ['192.168.7.64/28', '192.168.7.80/28'],
      database: ['192.168.7.128/28', '192.168.7.144/28'],
    });
  });

  it('keeps the subnets of the first zones when zones are added', () => {
    const two = planSubnets('10.0.0.0/18', 2);
    const three = planSubnets('10.0.0.0/18', 3);
    expect(three.app.slice(0, 2)).toEqual(two.app);
  });

  it.each(['10.0.0.0/15', '10.0.0.0/25'])('refuses a VPC of %p', (cidr) => {
    expect(() => planSubnets(cidr, 2)).toThrow(InvalidCidrError);
  });

  it.each([0, 5, 2.5])('refuses %p zones', (zones) => {
    expect(() => planSubnets('10.0.0.0/16', zones)).toThrow(RangeError);
  });

  it('plans subnets that never overlap and stay inside the VPC', () => {
    const vpcArbitrary = fc
      .record({ address: fc.integer({ min: 0, max: 0xffffffff }), prefix: fc.integer({ min: 16, max: 24 }) })
      .map(({ address, prefix }) =>
        formatCidr(parseCidr(formatCidr({ address, prefix }), { allowHostBits: true })),
      );
    fc.assert(
      fc.property(vpcArbitrary, fc.integer({ min: 1, max: 4 }), (vpc, zones) => {
        const plan = planSubnets(vpc, zones);
        const subnets = [...plan.public, ...plan.app, ...plan.database];
        expect(subnets).toHaveLength(3 * zones);
        for (const [i, subnet] of subnets.entries()) {
          expect(cidrContains(vpc, subnet)).toBe(true);
          expect(parseCidr(subnet).prefix).toBeLessThanOrEqual(28);
          for (const other of subnets.slice(i + 1)) expect(cidrsOverlap(subnet, other)).toBe(false);
        }
      }),
    );
  });
});

describe('poolBlocks', () => {
  it('lists the /20 candidates of a pool in address order', () => {
    const blocks = [...poolBlocks('10.0.0.0/16')];
    expect(blocks).toHaveLength(16);
    expect(blocks.slice(0, 2)).toEqual(['10.0.0.0/20', '10.0.16.0/20']);
    expect(blocks.at(-1)).toBe('10.0.240.0/20');
  });

  it('is lazy, so a large pool costs only what is read', () => {
    const iterator = poolBlocks('10.0.0.0/8', 24);
    expect(iterator.next().value).toBe('10.0.0.0/24');
    expect(iterator.next().value).toBe('10.0.1.0/24');
  });

  it('refuses blocks larger than the pool', () => {
    expect(() => [...poolBlocks('10.0.0.0/20', 16)]).toThrow(InvalidCidrError);
  });
});

describe('lockBlocks', () => {
  it('locks the 16 /20 blocks of a /16', () => {
    const blocks = lockBlocks('10.1.0.0/16');
    expect(blocks).toHaveLength(16);
    expect(blocks[0]).toBe('10.1.0.0/20');
    expect(blocks[15]).toBe('10.1.240.0/20');
  });

  it('locks a /20 itself', () => {
    expect(lockBlocks('10.1.32.0/20')).toEqual(['10.1.32.0/20']);
  });

  it('locks the whole /20 containing a /21–/24', () => {
    expect(lockBlocks('10.1.37.0/24')).toEqual(['10.1.32.0/20']);
    expect(lockBlocks('10.1.40.0/21')).toEqual(['10.1.32.0/20']);
  });

  it('refuses an allocation that would not fit one transaction', () => {
    expect(() => lockBlocks('10.0.0.0/8')).toThrow(InvalidCidrError);
  });

  it('locks contiguous /20 blocks that together cover the allocation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 16, max: 24 }),
        (address, prefix) => {
          const cidr = parseCidr(formatCidr({ address, prefix }), { allowHostBits: true });
          const blocks = lockBlocks(formatCidr(cidr)).map((block) => cidrRange(block));
          for (const [i, block] of blocks.entries()) {
            expect(block.last - block.first + 1).toBe(2 ** 12);
            if (i > 0) expect(block.first).toBe((blocks[i - 1]?.last ?? Number.NaN) + 1);
          }
          const { first, last } = cidrRange(cidr);
          expect(blocks[0]?.first).toBeLessThanOrEqual(first);
          expect(blocks.at(-1)?.last).toBeGreaterThanOrEqual(last);
        },
      ),
    );
  });
});
