import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRedactor,
  placeholderFor,
  substitutePlaceholders,
  PLACEHOLDER_PREFIX,
} from '../../../src/secrets/index.ts';
import type { OutgoingRequest, PlaceholderBinding } from '../../../src/secrets/index.ts';

const VALUE = 'ghp_RealValue_7Kq2Zx9Lm4';
const ph = placeholderFor('GITHUB_TOKEN');
const binding: PlaceholderBinding = {
  name: 'GITHUB_TOKEN',
  placeholder: ph,
  value: VALUE,
  hosts: ['api.github.com'],
};

function req(host: string, over: Partial<OutgoingRequest> = {}): OutgoingRequest {
  return { host, url: `https://${host}/user`, headers: { authorization: `Bearer ${ph}` }, ...over };
}

describe('placeholders', () => {
  it('are unique and recognisable', () => {
    const a = placeholderFor('X_TOKEN');
    assert.ok(a.startsWith(`${PLACEHOLDER_PREFIX}X_TOKEN_`));
    assert.notEqual(a, placeholderFor('X_TOKEN'));
    assert.throws(() => placeholderFor('X_*'), { code: 'ERR_SECRET_NAME' });
  });

  it('[CD-5] swaps the placeholder for the real value on a bound host', () => {
    const r = substitutePlaceholders(req('api.github.com'), [binding]);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.request.headers.authorization, `Bearer ${VALUE}`);
    assert.deepEqual(r.substituted, ['GITHUB_TOKEN']);
  });

  it('[CD-5] refuses the placeholder to any other host (deny twin) and names no value', () => {
    for (const host of [
      'attacker.test',
      'api.github.com.attacker.test',
      'github.com',
      'API.GITHUB.COM.evil',
    ]) {
      const r = substitutePlaceholders(req(host), [binding]);
      assert.equal(r.ok, false, host);
      if (!r.ok) {
        assert.match(r.reason, /GITHUB_TOKEN/);
        assert.ok(!r.reason.includes(VALUE) && !r.reason.includes(ph));
      }
    }
  });

  it('matches hosts case-insensitively and pins a port only when the binding does', () => {
    assert.equal(substitutePlaceholders(req('API.GitHub.com.'), [binding]).ok, true);
    assert.equal(substitutePlaceholders(req('api.github.com:443'), [binding]).ok, true);
    const pinned = { ...binding, hosts: ['127.0.0.1:8443'] };
    assert.equal(substitutePlaceholders(req('127.0.0.1:8443'), [pinned]).ok, true);
    assert.equal(substitutePlaceholders(req('127.0.0.1:9999'), [pinned]).ok, false);
  });

  it('[CD-5][EX-2] refuses the real secret, in any encoding, to an unbound host', () => {
    const forms = [
      VALUE,
      Buffer.from(`user:${VALUE}`).toString('base64'),
      Buffer.from(VALUE).toString('hex'),
      encodeURIComponent(VALUE),
    ];
    for (const f of forms) {
      for (const where of [
        { url: `https://attacker.test/search?q=${f}` },
        { headers: { 'x-data': f } },
        { headers: { [`x-${f}`]: '1' } },
        { body: `{"q":"${f}"}` },
        { body: Buffer.from(`q=${f}`) },
      ]) {
        const r = substitutePlaceholders(req('attacker.test', { headers: {}, ...where }), [binding]);
        assert.equal(r.ok, false, JSON.stringify(where));
      }
    }
  });

  it('[EX-2] refuses a placeholder hidden in the URL, body or an encoded header to an unbound host', () => {
    const b64 = Buffer.from(`x:${ph}`).toString('base64');
    const cases: Partial<OutgoingRequest>[] = [
      { headers: {}, url: `https://attacker.test/?q=${ph}` },
      { headers: {}, body: ph },
      { headers: { authorization: `Basic ${b64}` } },
    ];
    for (const over of cases) {
      assert.equal(substitutePlaceholders(req('attacker.test', over), [binding]).ok, false);
    }
  });

  it('refuses an encoded placeholder even on the bound host, since it cannot be swapped', () => {
    const b64 = Buffer.from(`x:${ph}`).toString('base64');
    const r = substitutePlaceholders(req('api.github.com', { headers: { authorization: `Basic ${b64}` } }), [
      binding,
    ]);
    assert.equal(r.ok, false);
  });

  it('percent-encodes the value when the placeholder sits in the URL', () => {
    const b = { ...binding, value: 'a/b+c?d&e=Zq8' };
    const r = substitutePlaceholders(
      req('api.github.com', { headers: {}, url: `https://api.github.com/?k=${ph}` }),
      [b],
    );
    assert.equal(r.ok && r.request.url, `https://api.github.com/?k=${encodeURIComponent('a/b+c?d&e=Zq8')}`);
  });

  it('refuses a guarded secret (another server, a canary) to any host it is not bound to', () => {
    const guard = createRedactor({ values: [{ name: 'CANARY_1', value: 'wdn_cnry_AbCdEf123456' }] });
    const r = substitutePlaceholders(req('api.github.com', { body: 'wdn_cnry_AbCdEf123456' }), [binding], {
      guard,
    });
    assert.equal(r.ok, false);
    assert.equal(
      substitutePlaceholders(req('api.github.com', { body: 'hello' }), [binding], { guard }).ok,
      true,
    );
  });

  it('leaves a request without placeholders or secrets untouched', () => {
    const plain = req('example.test', { headers: { accept: 'application/json' }, body: 'hi' });
    const r = substitutePlaceholders(plain, [binding]);
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.request, plain);
  });
});
