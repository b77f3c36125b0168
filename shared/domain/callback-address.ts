/**
 * Which addresses a callback may reach, decided without the network: berth runs inside AWS, so a
 * URL naming a private, loopback, link-local (the instance metadata service 169.254.169.254) or
 * otherwise non-public address is refused — at request time for the literal in the URL (the spec
 * schema), and again in the delivering socket's own DNS lookup for what a name resolves to
 * (shared/app/callbacks.ts), so the address checked is the address connected to.
 *
 * IPv6 forms that carry or reach an IPv4 address are judged by that address or refused whole:
 * IPv4-mapped `::ffff:0:0/96`, IPv4-translated `::ffff:0:0:0/96` and NAT64 `64:ff9b::/96` by the
 * address they carry; IPv4-compatible `::/96` (deprecated, RFC 4291 §2.5.5.1), 6to4 `2002::/16`
 * (deprecated, RFC 7526), Teredo `2001::/32`, local-use NAT64 `64:ff9b:1::/48` (RFC 8215),
 * site-local `fec0::/10` (deprecated, RFC 3879) and discard-only `100::/64` (RFC 6666) refused.
 */
import { isIP } from 'node:net';

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((total, octet) => total * 256 + Number(octet), 0);
}

/** Non-public IPv4 ranges (RFC 6890 special-purpose registry), loopback listed apart. */
const IPV4_BLOCKED: readonly [base: string, prefix: number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

function inIpv4Range(address: string, base: string, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4ToNumber(address) / size) === Math.floor(ipv4ToNumber(base) / size);
}

/** The eight 16-bit groups of an IPv6 address (an embedded dotted quad becomes the last two). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0] ?? '';
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const value = ipv4ToNumber(dotted);
    text = `${text.slice(0, -dotted.length)}${Math.floor(value / 65536).toString(16)}:${(value % 65536).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function dottedQuad(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The IPv4 address an IPv6 address carries to be reached over IPv4 (mapped, translated, NAT64). */
function embeddedIpv4(groups: number[]): string | undefined {
  const [a, b, c, d, e, f, g = 0, h = 0] = groups;
  const zeroHead = a === 0 && b === 0 && c === 0 && d === 0;
  const mapped = zeroHead && e === 0 && f === 0xffff;
  const translated = zeroHead && e === 0xffff && f === 0;
  const nat64 = a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0;
  return mapped || translated || nat64 ? dottedQuad(g, h) : undefined;
}

/** IPv6 ranges refused whole, each with its reason; checked after the embedded-IPv4 forms. */
function refusedIpv6Range(groups: number[]): string | undefined {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = groups;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0) {
    return 'IPv4-compatible (::/96, deprecated)';
  }
  if (a === 0x2002) return '6to4 (2002::/16, reaches IPv4 addresses)';
  if (a === 0x2001 && b === 0) return 'Teredo (2001::/32, reaches IPv4 addresses)';
  if (a === 0x64 && b === 0xff9b && c === 1) return 'local-use NAT64 (64:ff9b:1::/48)';
  if ((a & 0xfe00) === 0xfc00) return 'a unique local address (fc00::/7)';
  if ((a & 0xffc0) === 0xfe80) return 'link-local (fe80::/10)';
  if ((a & 0xffc0) === 0xfec0) return 'site-local (fec0::/10, deprecated)';
  if ((a & 0xff00) === 0xff00) return 'multicast (ff00::/8)';
  if (a === 0x100 && b === 0 && c === 0 && d === 0) return 'discard-only (100::/64)';
  if (a === 0x2001 && b === 0x0db8) return 'for documentation (2001:db8::/32)';
  return undefined;
}

/**
 * Why a callback must not connect to `address` (an IP literal), or undefined when it is public.
 * Loopback passes only with `allowLoopback` (tests and local runs, never AWS).
 */
export function blockedAddressReason(address: string, allowLoopback: boolean): string | undefined {
  const version = isIP(address);
  if (version === 4) {
    if (inIpv4Range(address, '127.0.0.0', 8)) return allowLoopback ? undefined : `${address} is loopback`;
    if (address === '255.255.255.255') return `${address} is broadcast`;
    const range = IPV4_BLOCKED.find(([base, prefix]) => inIpv4Range(address, base, prefix));
    return range ? `${address} is in the non-public range ${range[0]}/${range[1]}` : undefined;
  }
  if (version !== 6) return `${address} is not an IP address`;
  const groups = ipv6Groups(address);
  if (groups.every((group) => group === 0)) return `${address} is unspecified`;
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) {
    return allowLoopback ? undefined : `${address} is loopback`;
  }
  const embedded = embeddedIpv4(groups);
  if (embedded) {
    const reason = blockedAddressReason(embedded, allowLoopback);
    return reason ? `${address} carries ${reason}` : undefined;
  }
  const range = refusedIpv6Range(groups);
  return range ? `${address} is ${range}` : undefined;
}

/** Why `url` may not be called back at all (scheme, credentials, literal address), or undefined. */
export function callbackUrlProblem(url: string, allowLoopback: boolean): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  // Plain http only for a local receiver; https everywhere else, as the request schema demands.
  if (parsed.protocol !== 'https:' && !(allowLoopback && parsed.protocol === 'http:')) return 'is not https';
  if (parsed.username || parsed.password) return 'carries credentials';
  // `[::1]` → `::1`; `localhost.` (fully qualified) is still localhost.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (isIP(host)) return blockedAddressReason(host, allowLoopback);
  if (host === 'localhost' || host.endsWith('.localhost')) return allowLoopback ? undefined : 'is loopback';
  return undefined;
}
