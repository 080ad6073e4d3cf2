import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  canonicalHost,
  compileEgressRules,
  matchHost,
  parseEgressRule,
  portAllowed,
  SandboxError,
} from '../../../src/sandbox/index.ts';

const allows = (rules: string[], host: string): boolean => {
  const c = canonicalHost(host);
  return c.ok && matchHost(compileEgressRules(rules), c.host, c.isIp) !== undefined;
};

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const tld = fc.stringMatching(/^[a-z]{2,6}$/);
/** Names whose last label is alphabetic (an all-digit last label makes the WHATWG parser read an IPv4). */
const domain = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld)
  .map(([ls, t]) => [...ls, t].join('.'));

describe('egress rules: parsing', () => {
  it('[SS-6] rejects "*", bare TLD wildcards, IP wildcards and inner stars, with a reason', () => {
    for (const bad of [
      '*',
      '*.',
      '*.com',
      '*.1.2.3.4',
      '*.127.0.0.1',
      'a*.example.com',
      'ex*ample.com',
      '',
      'a b.com',
      'user@host.com',
      'host/path',
      'evil.test\0.allowed.com',
    ]) {
      assert.throws(
        () => parseEgressRule(bad),
        (e: unknown) =>
          e instanceof SandboxError && e.code === 'ERR_SANDBOX_CONFIG' && /rejected/.test(e.message),
        bad,
      );
    }
  });

  it('accepts exact hosts, *.suffix, IP literals and host:port', () => {
    assert.deepEqual(parseEgressRule('API.Example.COM.'), {
      kind: 'exact',
      host: 'api.example.com',
      port: undefined,
    });
    assert.deepEqual(parseEgressRule('*.example.com'), {
      kind: 'suffix',
      suffix: 'example.com',
      port: undefined,
    });
    assert.deepEqual(parseEgressRule('127.0.0.1:8080'), { kind: 'ip', ip: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseEgressRule('[::1]:443'), { kind: 'ip', ip: '::1', port: 443 });
    assert.deepEqual(parseEgressRule('bücher.example'), {
      kind: 'exact',
      host: 'xn--bcher-kva.example',
      port: undefined,
    });
  });
});

describe('egress rules: matching', () => {
  it('[SS-6] matches the exact host and refuses look-alikes', () => {
    const rules = ['allowed.com'];
    assert.equal(allows(rules, 'allowed.com'), true);
    assert.equal(allows(rules, 'ALLOWED.com.'), true);
    for (const h of [
      'allowed.com.evil.test',
      'evil.test\0.allowed.com',
      'allowed.com@evil.test',
      'evil.test#@allowed.com',
      'evil.test\\@allowed.com',
      'sub.allowed.com',
      'xallowed.com',
      'allowed.co',
      'allowed.com%00.evil',
    ]) {
      assert.equal(allows(rules, h), false, JSON.stringify(h));
    }
  });

  it('[SS-6] *.suffix matches subdomains only, never the apex or a suffix look-alike', () => {
    const rules = ['*.example.com'];
    assert.equal(allows(rules, 'a.example.com'), true);
    assert.equal(allows(rules, 'a.b.example.com'), true);
    assert.equal(allows(rules, 'example.com'), false);
    assert.equal(allows(rules, 'badexample.com'), false);
    assert.equal(allows(rules, 'example.com.evil.test'), false);
  });

  it('[SS-6] IDN homographs are compared as punycode, never folded to ASCII look-alikes', () => {
    assert.equal(allows(['apple.com'], 'аpple.com'), false, 'Cyrillic а');
    assert.equal(allows(['xn--pple-43d.com'], 'аpple.com'), true);
  });

  it('[SS-2] IP encodings canonicalise to one address and need an IP rule', () => {
    for (const enc of ['2852039166', '0251.0376.0251.0376', '0xA9FEA9FE', '169.254.43518']) {
      assert.equal(allows(['169.254.169.254'], enc), true, enc);
      assert.equal(allows(['*.amazonaws.com', 'metadata.google.internal'], enc), false, enc);
    }
    assert.equal(allows(['127.0.0.1'], '127.1'), true);
    assert.equal(allows(['localhost'], '127.0.0.1'), false, 'a name rule never matches an IP');
  });

  it('port policy: 80/443 by default, extra ports when listed, a rule port is exclusive', () => {
    const [r] = compileEgressRules(['a.com']);
    assert.ok(r);
    assert.equal(portAllowed(r, 443, []), true);
    assert.equal(portAllowed(r, 22, []), false);
    assert.equal(portAllowed(r, 22, [22]), true);
    const [p] = compileEgressRules(['a.com:8443']);
    assert.ok(p);
    assert.equal(portAllowed(p, 8443, []), true);
    assert.equal(portAllowed(p, 443, []), false);
  });
});

describe('egress rules: properties', () => {
  it('a host matches an exact rule iff it canonicalises to the same name (case, trailing dot)', () => {
    fc.assert(
      fc.property(domain, domain, fc.boolean(), fc.boolean(), (rule, other, upper, dot) => {
        const probe = (upper ? rule.toUpperCase() : rule) + (dot ? '.' : '');
        assert.equal(allows([rule], probe), true);
        assert.equal(allows([rule], other), other === rule);
      }),
    );
  });

  it('appending any suffix to an allowed name, or prefixing without a dot, never matches', () => {
    fc.assert(
      fc.property(domain, tld, (rule, extra) => {
        assert.equal(allows([rule], `${rule}.${extra}`), false);
        assert.equal(allows([`*.${rule}`], `${extra}${rule}`), false);
        assert.equal(allows([`*.${rule}`], `${extra}.${rule}`), true);
      }),
    );
  });

  it('hosts containing NUL, @, /, \\, #, ?, % or spaces never match', () => {
    fc.assert(
      fc.property(
        domain,
        fc.constantFrom('\0', '@', '/', '\\', '#', '?', '%', ' ', '\t', '\n'),
        fc.nat(30),
        (rule, bad, at) => {
          const host = rule.slice(0, at % (rule.length + 1)) + bad + rule.slice(at % (rule.length + 1));
          assert.equal(allows([rule, `*.${rule}`], host), false);
        },
      ),
    );
  });
});
