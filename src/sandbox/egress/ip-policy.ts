import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Address classes the proxy never dials unless an IP rule names the address exactly:
 * loopback, private, link-local (cloud metadata), CGNAT, benchmarking, documentation,
 * multicast, reserved, unspecified, and the host's own interface addresses.
 */
const V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
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
const V6: ReadonlyArray<[string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

function buildList(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of V4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of V6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}
const SPECIAL = buildList();

/** The IPv4 address embedded in an IPv4-mapped (::ffff:a.b.c.d), NAT64 or compatible IPv6 address. */
export function embeddedV4(ip: string): string | undefined {
  if (isIP(ip) !== 6) return undefined;
  const h = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const m = /^(?:::ffff:|64:ff9b::|::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const hi = parseInt(m[1], 16);
  const lo = parseInt(m[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function hostAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address.split('%')[0] ?? a.address);
  }
  return out;
}

/** Why `ip` must not be dialled, or undefined when it is an ordinary public address. */
export function blockedAddressReason(
  ip: string,
  own: ReadonlySet<string> = hostAddresses(),
): string | undefined {
  const family = isIP(ip);
  if (family === 0) return 'not-an-ip';
  const v4 = family === 4 ? ip : embeddedV4(ip);
  if (v4 !== undefined && SPECIAL.check(v4, 'ipv4')) return 'special-address';
  if (family === 6 && SPECIAL.check(ip, 'ipv6')) return 'special-address';
  if (own.has(ip) || (v4 !== undefined && own.has(v4))) return 'host-address';
  return undefined;
}
