import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileEgressRules, decide } from '../../../src/sandbox/index.ts';
import type { Resolver } from '../../../src/sandbox/index.ts';

function input(rules: string[], answers: Record<string, string[]>, calls: string[] = []) {
  const resolve: Resolver = (h) => {
    calls.push(h);
    const a = answers[h];
    return a ? Promise.resolve(a) : Promise.reject(new Error('ENOTFOUND'));
  };
  return {
    rules: compileEgressRules(rules),
    extraPorts: [],
    resolve,
    ownAddresses: new Set(['203.0.114.9']),
  };
}

describe('egress decision', () => {
  it('[SS-1] an allow-listed name resolving to the metadata address is refused', async () => {
    const v = await decide(
      input(['metadata.google.internal'], { 'metadata.google.internal': ['169.254.169.254'] }),
      'metadata.google.internal',
      80,
    );
    assert.deepEqual([v.allowed, v.reason], [false, 'resolves-to-special-address']);
  });

  it('[SS-4] a mixed public/private answer is refused; a public answer is pinned to the dialled address', async () => {
    const mixed = await decide(
      input(['a.example'], { 'a.example': ['93.184.216.34', '127.0.0.1'] }),
      'a.example',
      443,
    );
    assert.equal(mixed.allowed, false);
    const ok = await decide(input(['a.example'], { 'a.example': ['93.184.216.34'] }), 'a.example', 443);
    assert.ok(ok.allowed);
    assert.equal(ok.address, '93.184.216.34');
  });

  it("refuses the host's own public address", async () => {
    const v = await decide(input(['me.example'], { 'me.example': ['203.0.114.9'] }), 'me.example', 443);
    assert.deepEqual([v.allowed, v.reason], [false, 'resolves-to-host-address']);
  });

  it('[EX-1] checks the allow-list before any resolution', async () => {
    const calls: string[] = [];
    const v = await decide(input(['a.example'], {}, calls), 'canary123.notallowed.test', 443);
    assert.deepEqual([v.allowed, v.reason, calls], [false, 'not-allow-listed', []]);
    const p = await decide(input(['a.example'], {}, calls), 'a.example', 8443);
    assert.deepEqual([p.reason, calls], ['port-not-allowed', []]);
  });

  it('an IP rule naming loopback allows exactly that address and port (test hosts)', async () => {
    const i = input(['127.0.0.1:8080'], {});
    const v = await decide(i, '127.0.0.1', 8080);
    assert.ok(v.allowed);
    assert.equal(v.address, '127.0.0.1');
    assert.equal((await decide(i, '127.0.0.1', 8081)).allowed, false);
    assert.equal((await decide(i, '127.0.0.2', 8080)).allowed, false);
  });

  it('[SS-2] encoded forms of a refused address stay refused', async () => {
    const i = input(['127.0.0.1:8080'], {});
    for (const h of ['2852039166', '0xA9FEA9FE', '[::ffff:169.254.169.254]', '0251.0376.0251.0376']) {
      assert.equal((await decide(i, h, 80)).allowed, false, h);
    }
  });

  it('[SS-6] refuses NUL, userinfo and bad ports with a printable host in the report', async () => {
    const i = input(['allowed.com'], { 'allowed.com': ['93.184.216.34'] });
    const nul = await decide(i, 'evil.test\0.allowed.com', 443);
    assert.equal(nul.allowed, false);
    assert.doesNotMatch(nul.host, /\0/);
    assert.equal((await decide(i, 'allowed.com@evil.test', 443)).reason, 'userinfo');
    assert.equal((await decide(i, 'allowed.com', 0)).reason, 'invalid-port');
  });
});
