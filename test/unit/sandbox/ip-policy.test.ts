import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { blockedAddressReason } from '../../../src/sandbox/index.ts';

const none = new Set<string>();

describe('egress address policy', () => {
  it('[SS-1][SS-3] refuses metadata, loopback, private, link-local, CGNAT, multicast and reserved ranges', () => {
    for (const ip of [
      '169.254.169.254',
      'fd00:ec2::254',
      '127.0.0.1',
      '127.255.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '0.0.0.0',
      '100.64.0.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'ff02::1',
    ]) {
      assert.equal(blockedAddressReason(ip, none), 'special-address', ip);
    }
  });

  it('[SS-2] sees through IPv4-mapped, compatible and NAT64 IPv6 forms', () => {
    for (const ip of [
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '::ffff:127.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '::127.0.0.1',
    ]) {
      assert.equal(blockedAddressReason(ip, none), 'special-address', ip);
    }
  });

  it('allows ordinary public addresses (deny twin)', () => {
    for (const ip of [
      '8.8.8.8',
      '1.1.1.1',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
    ]) {
      assert.equal(blockedAddressReason(ip, none), undefined, ip);
    }
  });

  it("refuses the host's own addresses", () => {
    assert.equal(blockedAddressReason('8.8.4.4', new Set(['8.8.4.4'])), 'host-address');
  });

  it('every 10/8, 127/8 and 192.168/16 address is refused (property)', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.constantFrom('10', '127'), octet, octet, octet, (a, b, c, d) => {
        assert.equal(blockedAddressReason(`${a}.${b}.${c}.${d}`, none), 'special-address');
        assert.equal(blockedAddressReason(`192.168.${c}.${d}`, none), 'special-address');
      }),
    );
  });
});
