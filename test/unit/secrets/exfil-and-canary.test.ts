import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/core/index.ts';
import {
  containsSecret,
  countOccurrences,
  createRedactor,
  plantCanaries,
  redactingLogger,
  redactJson,
  CANARY_PREFIX,
} from '../../../src/secrets/index.ts';

const SECRET = 'xoxp_Internal_4Rt8Yu2Io6';
const r = createRedactor({ values: [{ name: 'SLACK_TOKEN', value: SECRET }] });

describe('[EX-6] exfiltration check on tool-call arguments (per call)', () => {
  const b64 = Buffer.from(SECRET).toString('base64');
  const hex = Buffer.from(SECRET).toString('hex');
  const pct = [...Buffer.from(SECRET)].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');

  for (const [label, form] of [
    ['raw', SECRET],
    ['base64', b64],
    ['hex', hex],
    ['url-encoded', pct],
  ] as const) {
    it(`refuses arguments carrying the secret as ${label}`, () => {
      assert.equal(containsSecret(r, { to: 'x@attacker.test', body: `see ${form}` }), true);
      assert.equal(containsSecret(r, [{ deep: [{ nested: form }] }]), true);
      assert.equal(containsSecret(r, { [form]: 1 }), true, 'in a key');
      assert.equal(containsSecret(r, form), true);
    });
  }

  it('allows arguments without the secret (allow twin)', () => {
    assert.equal(
      containsSecret(r, { to: 'team@example.test', body: 'weekly report', n: 3, ok: true, x: null }),
      false,
    );
  });

  it('documents the residual: one third per call is not detected, the whole is', () => {
    const parts = [b64.slice(0, 10), b64.slice(10, 20), b64.slice(20)];
    assert.deepEqual(
      parts.map((p) => containsSecret(r, { q: p })),
      [false, false, false],
    );
    assert.equal(containsSecret(r, { q: parts.join('') }), true);
  });
});

describe('redactJson', () => {
  it('redacts strings and keys in structured content and reports JSON pointers', () => {
    const out = redactJson(r, { a: [1, `x${SECRET}`], [SECRET]: { ok: true }, n: null });
    assert.deepEqual(out.value, {
      a: [1, 'x[REDACTED:secret:SLACK_TOKEN]'],
      '[REDACTED:secret:SLACK_TOKEN]': { ok: true },
      n: null,
    });
    assert.deepEqual(out.findings.map((f) => f.path).sort(), ['/[REDACTED:secret:SLACK_TOKEN]', '/a/1']);
    assert.ok(!JSON.stringify(out).includes(SECRET));
  });

  it('keeps a __proto__ key as data and still redacts under it', () => {
    const input = JSON.parse(`{"__proto__":{"t":"${SECRET}"}}`) as unknown;
    const out = redactJson(r, input).value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(JSON.stringify(out), '{"__proto__":{"t":"[REDACTED:secret:SLACK_TOKEN]"}}');
  });

  it('copies only the path to a finding and never changes the input', () => {
    const clean = { keep: { deep: ['x', 1] } };
    const input = { clean, list: ['ok', { t: `a ${SECRET}` }], after: 'z' };
    const before = JSON.stringify(input);
    const out = redactJson(r, input).value;
    assert.equal(JSON.stringify(input), before, 'the input is not modified');
    assert.notEqual(out, input);
    assert.equal(out.clean, clean, 'a clean subtree is shared, not copied');
    assert.deepEqual(Object.keys(out), ['clean', 'list', 'after'], 'key order is kept');
    assert.equal(out.list[0], 'ok');
    assert.deepEqual(out.list[1], { t: 'a [REDACTED:secret:SLACK_TOKEN]' });
  });

  it('returns a clean value itself, without copying it', () => {
    const v = { a: ['b', 2], c: { d: false } };
    assert.equal(redactJson(r, v).value, v);
  });

  it('returns equal content when no secret is present (deny twin)', () => {
    const v = { a: ['b', 2], c: { d: false } };
    assert.deepEqual(redactJson(r, v), { value: v, findings: [] });
  });
});

describe('redactingLogger', () => {
  it('[SB-1] keeps secrets out of messages, fields, errors and child bindings', () => {
    const mem = new MemoryLogger();
    const log = redactingLogger(mem, r);
    log.info(`got ${SECRET}`, { header: `Bearer ${SECRET}`, err: new Error(`bad ${SECRET}`) });
    log.child({ token: SECRET }).warn('child', { n: 1 });
    const text = mem.text();
    assert.ok(!text.includes(SECRET));
    // message, header field, error message and stack, child binding
    assert.equal((text.match(/\[REDACTED:secret:SLACK_TOKEN\]/g) ?? []).length, 5);
  });

  it('uses the current redactor after a rotation', () => {
    const mem = new MemoryLogger();
    let current = r;
    const log = redactingLogger(mem, () => current);
    current = createRedactor({ values: [{ name: 'NEW_TOKEN', value: 'brand_New_Value_91x' }] });
    log.info('brand_New_Value_91x');
    assert.equal(mem.lines[0]!.msg, '[REDACTED:secret:NEW_TOKEN]');
  });
});

describe('canaries', () => {
  it('plants distinct canaries and counts every encoding of them', () => {
    const canaries = plantCanaries(3);
    assert.equal(new Set(canaries.map((c) => c.value)).size, 3);
    assert.ok(canaries.every((c) => c.value.startsWith(CANARY_PREFIX)));
    const c = canaries[1]!.value;
    const hay = [
      `a ${c} b`,
      Buffer.from(`zz${c}`).toString('base64'),
      Buffer.from(c).toString('hex').toUpperCase(),
      JSON.stringify({ x: c }),
      'nothing here',
    ];
    const count = countOccurrences(hay, canaries);
    assert.equal(count.total, 4);
    assert.equal(count.byName.CANARY_2, 4);
    assert.equal(count.byName.CANARY_1, undefined);
  });

  it('counts zero after redaction with the canaries registered', () => {
    const canaries = plantCanaries(2);
    const red = createRedactor({ values: canaries });
    const leaked = `tool says ${canaries[0]!.value} and ${Buffer.from(canaries[1]!.value).toString('base64url')}`;
    assert.equal(countOccurrences([leaked], canaries).total, 2);
    assert.equal(countOccurrences([red.redact(leaked).text], canaries).total, 0);
  });
});
