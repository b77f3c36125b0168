/**
 * IPv4 CIDR arithmetic for berth's networks: parsing and formatting, containment and overlap, the
 * subnet plan of a VPC, the candidate blocks of an allocation pool and the blocks an allocation locks.
 * Pure: no SDK, no I/O.
 */

/** A parsed IPv4 CIDR: `address` is the unsigned 32-bit network address (host bits cleared). */
export interface Ipv4Cidr {
  address: number;
  prefix: number;
}

/** The text is not an IPv4 CIDR, or the CIDR does not fit the operation asked for. */
export class InvalidCidrError extends Error {
  constructor(
    readonly cidr: string,
    reason: string,
  ) {
    super(`${cidr}: ${reason}`);
    this.name = 'InvalidCidrError';
  }
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const DECIMAL = /^(?:0|[1-9]\d*)$/;

/** AWS's VPC and subnet limits: a VPC is /16–/28, so is a subnet. berth plans subnets 4 bits below the VPC. */
export const VPC_PREFIX_MIN = 16;
export const VPC_PREFIX_MAX = 24;
export const SUBNET_PREFIX_MAX = 28;
/** Quarters of the VPC (public, application, database, spare) × four AZ blocks each. */
const PLAN_BITS = 4;
/** The prefix of an `auto` VPC: a /20, whose plan has /24 subnets. */
export const AUTO_VPC_PREFIX = 20;
/** AWS keeps five addresses of every subnet: the first four and the last (docs/aws-facts.md#subnet-addresses-and-eni-capacity). */
export const RESERVED_SUBNET_ADDRESSES = 5;

/** The prefix of the subnets `planSubnets` cuts from a VPC of this prefix (a /20 VPC has /24 subnets). */
export function plannedSubnetPrefix(vpcPrefix: number): number {
  return vpcPrefix + PLAN_BITS;
}

/** Addresses a new subnet of this prefix offers: its size less the five AWS reserves (a /28: 11). */
export function usableAddresses(subnetPrefix: number): number {
  return sizeOf(subnetPrefix) - RESERVED_SUBNET_ADDRESSES;
}
const MAX_PLANNED_ZONES = 4;

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Number of addresses in a block of this prefix (2^32 for /0 still fits a double exactly). */
function sizeOf(prefix: number): number {
  return 2 ** (32 - prefix);
}

/**
 * Parses `a.b.c.d/p`. Octets without leading zeros (as AWS writes them); host bits are refused unless
 * `allowHostBits` (security-group sources accept them), in which case they are cleared.
 */
export function parseCidr(cidr: string, options: { allowHostBits?: boolean } = {}): Ipv4Cidr {
  const match = IPV4_CIDR.exec(cidr);
  if (!match) throw new InvalidCidrError(cidr, 'not an IPv4 CIDR such as 10.20.0.0/16');
  const numbers = match.slice(1).map((part) => (DECIMAL.test(part) ? Number(part) : Number.NaN));
  const [a, b, c, d, prefix] = numbers;
  if (a === undefined || b === undefined || c === undefined || d === undefined || prefix === undefined) {
    throw new InvalidCidrError(cidr, 'not an IPv4 CIDR such as 10.20.0.0/16');
  }
  if ([a, b, c, d].some((octet) => !(octet >= 0 && octet <= 255))) {
    throw new InvalidCidrError(cidr, 'each octet is a number 0–255 without leading zeros');
  }
  if (!(prefix >= 0 && prefix <= 32)) throw new InvalidCidrError(cidr, 'the prefix is 0–32');
  // `>>> 0` keeps the 32-bit value unsigned (`<<` gives a signed int).
  const raw = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  const address = (raw & maskOf(prefix)) >>> 0;
  if (address !== raw && !options.allowHostBits) {
    throw new InvalidCidrError(
      cidr,
      `host bits are set: the network address is ${formatCidr({ address, prefix })}`,
    );
  }
  return { address, prefix };
}

/** `a.b.c.d/p` of a parsed CIDR. */
export function formatCidr(cidr: Ipv4Cidr): string {
  const { address, prefix } = cidr;
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}/${prefix}`;
}

function toCidr(cidr: string | Ipv4Cidr): Ipv4Cidr {
  return typeof cidr === 'string' ? parseCidr(cidr) : cidr;
}

/** The canonical text of a CIDR (rejects host bits), for comparing and storing. */
export function normalizeCidr(cidr: string): string {
  return formatCidr(parseCidr(cidr));
}

/** First and last address of the block. */
export function cidrRange(cidr: string | Ipv4Cidr): { first: number; last: number } {
  const { address, prefix } = toCidr(cidr);
  return { first: address, last: address + sizeOf(prefix) - 1 };
}

/** True when every address of `inner` is in `outer` (a block contains itself). */
export function cidrContains(outer: string | Ipv4Cidr, inner: string | Ipv4Cidr): boolean {
  const o = cidrRange(outer);
  const i = cidrRange(inner);
  return o.first <= i.first && i.last <= o.last;
}

/** True when the two blocks share at least one address (CIDR blocks either nest or are disjoint). */
export function cidrsOverlap(a: string | Ipv4Cidr, b: string | Ipv4Cidr): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return x.first <= y.last && y.first <= x.last;
}

/** The `index`-th block of `prefix` inside `parent` (no bounds check: callers stay inside). */
function subBlock(parent: Ipv4Cidr, prefix: number, index: number): Ipv4Cidr {
  return { address: parent.address + index * sizeOf(prefix), prefix };
}

/** The subnets of one VPC, by tier, one per availability zone (index = zone index). */
export interface SubnetPlan {
  public: string[];
  app: string[];
  database: string[];
}

/**
 * Splits a /16–/24 VPC into quarters (public, application, database, spare) and each quarter into 4
 * AZ blocks, so a /16 gets /20 subnets and a /24 gets /28 ones (AWS's smallest subnet). The layout
 * does not depend on `azCount`: going from 2 to 3 zones adds subnets without moving any.
 */
export function planSubnets(vpcCidr: string, azCount: number): SubnetPlan {
  const vpc = parseCidr(vpcCidr);
  if (vpc.prefix < VPC_PREFIX_MIN || vpc.prefix > VPC_PREFIX_MAX) {
    throw new InvalidCidrError(vpcCidr, `a VPC to plan is /${VPC_PREFIX_MIN}–/${VPC_PREFIX_MAX}`);
  }
  if (!Number.isInteger(azCount) || azCount < 1 || azCount > MAX_PLANNED_ZONES) {
    throw new RangeError(`azCount must be 1–${MAX_PLANNED_ZONES}, not ${azCount}`);
  }
  const quarterPrefix = vpc.prefix + PLAN_BITS / 2;
  const subnetPrefix = plannedSubnetPrefix(vpc.prefix);
  const tier = (quarter: number): string[] => {
    const block = subBlock(vpc, quarterPrefix, quarter);
    return Array.from({ length: azCount }, (_, zone) => formatCidr(subBlock(block, subnetPrefix, zone)));
  };
  return { public: tier(0), app: tier(1), database: tier(2) };
}

/** The /`size` blocks of a pool, in address order: the candidates of an `auto` allocation. */
export function* poolBlocks(poolCidr: string, size = 20): Generator<string> {
  const pool = parseCidr(poolCidr);
  if (size < pool.prefix || size > 32)
    throw new InvalidCidrError(poolCidr, `cannot be cut into /${size} blocks`);
  const count = 2 ** (size - pool.prefix);
  for (let index = 0; index < count; index++) yield formatCidr(subBlock(pool, size, index));
}

/** At most this many blocks per allocation: one DynamoDB transaction holds 100 items. */
export const MAX_LOCK_BLOCKS = 32;

/**
 * The /`granularity` blocks an allocation of `cidr` locks: all of them inside a larger CIDR (a /16
 * locks 16 /20s), or the one containing a smaller CIDR (a /21–/24 locks its whole /20).
 *
 * Trade-off: locking whole /20s wastes up to 15/16 of a /20 on a /24 VPC, and two small explicit
 * CIDRs in one /20 are refused as overlapping though they are disjoint. In exchange every allocation
 * is a fixed, small set of items (≤ 16 for the /16 maximum), written atomically with conditional puts
 * in one DynamoDB TransactWriteItems (≤ 100 items), with no range queries and no read-modify-write.
 */
export function lockBlocks(cidr: string, granularity = 20): string[] {
  const block = parseCidr(cidr);
  if (block.prefix >= granularity) {
    return [formatCidr({ address: (block.address & maskOf(granularity)) >>> 0, prefix: granularity })];
  }
  const count = 2 ** (granularity - block.prefix);
  if (count > MAX_LOCK_BLOCKS) {
    throw new InvalidCidrError(
      cidr,
      `would lock ${count} /${granularity} blocks (at most ${MAX_LOCK_BLOCKS})`,
    );
  }
  return Array.from({ length: count }, (_, index) => formatCidr(subBlock(block, granularity, index)));
}
