import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createRedactor,
  createStreamRedactor,
  encodedForms,
  toByteSpans,
  checkSecretStrength,
  redactStream,
} from '../../../src/secrets/index.ts';
import { Readable } from 'node:stream';
import { embeddings, leaked, leakedBeyond } from './encodings-helper.ts';

const CANARY = 'wdn_cnry_Zx9+Qp/7Lm-Kd3_Tr8.vB2~';
const UNICODE = 'clé-secrète-ß∑-密码-🔑-Q7x';

function streamAll(r: ReturnType<typeof createRedactor>, chunks: string[]): string {
  const s = createStreamRedactor(r);
  return chunks.map((c) => s.push(c)).join('') + s.flush();
}

describe('redactor: known values', () => {
  const r = createRedactor({ values: [{ name: 'CANARY', value: CANARY }] });

  it('[SB-1] replaces a raw secret in a tool result with its rule marker', () => {
    const out = r.redact(`token=${CANARY}; again ${CANARY}`);
    assert.equal(out.text, 'token=[REDACTED:secret:CANARY]; again [REDACTED:secret:CANARY]');
    assert.deepEqual(
      out.findings.map((f) => f.ruleId),
      ['secret:CANARY', 'secret:CANARY'],
    );
    assert.equal(out.findings[0]!.start, 6);
    assert.equal(out.findings[0]!.end, 6 + CANARY.length);
  });

  it('[SB-1] leaves text without the secret unchanged (deny twin)', () => {
    const text = `token=${CANARY.slice(0, -1)} and ${CANARY.slice(1)}`;
    assert.deepEqual(r.redact(text), { text, findings: [] });
  });

  for (const secret of [CANARY, UNICODE]) {
    const rr = createRedactor({ values: [{ name: 'CANARY', value: secret }] });
    for (const e of embeddings(secret)) {
      it(`[SB-2] redacts ${e.label} of a ${secret === CANARY ? 'ASCII' : 'Unicode'} secret whole and split at every offset`, () => {
        assert.equal(leaked(e.text, e), e.leaks[0], 'the probe must see the unredacted form');
        const whole = rr.redact(e.text).text;
        assert.equal(leaked(whole, e), undefined, `whole: ${whole}`);
        for (let p = 0; p <= e.text.length; p++) {
          const out = streamAll(rr, [e.text.slice(0, p), e.text.slice(p)]);
          assert.equal(leaked(out, e), undefined, `split at ${p}: ${out}`);
        }
        const oneByOne = streamAll(rr, [...e.text]);
        assert.equal(leaked(oneByOne, e), undefined);
        assert.equal(oneByOne, whole);
      });
    }
  }

  it('[SB-2] splits into three chunks at every pair of offsets without leaking', () => {
    const text = `a ${Buffer.from('!' + CANARY).toString('base64')} b`;
    const whole = r.redact(text).text;
    for (let p = 0; p <= text.length; p += 3) {
      for (let q = p; q <= text.length; q += 2) {
        assert.equal(streamAll(r, [text.slice(0, p), text.slice(p, q), text.slice(q)]), whole);
      }
    }
  });

  it('[SB-2] redactStream redacts bytes split inside a multi-byte character and inside the secret', async () => {
    const rr = createRedactor({ values: [{ name: 'CANARY', value: UNICODE }] });
    const bytes = Buffer.from(`log: ${UNICODE} end`, 'utf8');
    for (let p = 1; p < bytes.length; p++) {
      const out: string[] = [];
      const t = Readable.from([bytes.subarray(0, p), bytes.subarray(p)]).pipe(redactStream(rr));
      for await (const chunk of t) out.push(String(chunk));
      assert.equal(out.join(''), 'log: [REDACTED:secret:CANARY] end', `split at byte ${p}`);
    }
  });

  it('releases redacted output before the end of a long stream, holding back only the tail', () => {
    const s = createStreamRedactor(r);
    const line = `line ${CANARY} ok\n`;
    let early = '';
    for (let i = 0; i < 200; i++) early += s.push(line);
    assert.ok(early.length > 0, 'output flows before flush');
    assert.ok(!early.includes(CANARY));
    const all = early + s.flush();
    assert.equal(all, line.replace(CANARY, '[REDACTED:secret:CANARY]').repeat(200));
    assert.equal(s.findings.length, 200);
  });

  it('streams text without secrets through unchanged (deny twin)', () => {
    const text = 'plain output line\n'.repeat(50);
    assert.equal(streamAll(r, [text.slice(0, 77), text.slice(77)]), text);
  });

  it('reports byte spans for multi-byte text', () => {
    const text = `é ${CANARY}`;
    const spans = toByteSpans(text, r.redact(text).findings);
    assert.deepEqual(spans, [{ ruleId: 'secret:CANARY', start: 3, end: 3 + CANARY.length }]);
  });

  it('scales to many secrets and still finds each one', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({
      name: `S${i}`,
      value: `val_${i}_Kq9xZ${i * 7919}`,
    }));
    const big = createRedactor({ values: many });
    const out = big.redact(`x ${many[1234]!.value} y ${many[7]!.value}`);
    assert.equal(out.text, 'x [REDACTED:secret:S1234] y [REDACTED:secret:S7]');
  });
});

describe('redactor: properties', () => {
  const alphabet = fc.constantFrom(
    ...'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789+/-_.~!é€😀'.split(/(?:)/u),
  );
  const secretArb = fc
    .string({ unit: alphabet, minLength: 8, maxLength: 40 })
    .filter((s) => checkSecretStrength(s).ok);
  const textArb = fc.string({ maxLength: 200 });

  it('always redacts a random secret embedded at a random place in random text, in every encoding', () => {
    fc.assert(
      fc.property(secretArb, textArb, textArb, fc.nat(), (secret, before, after, split) => {
        const r = createRedactor({ values: [{ name: 'S', value: secret }] });
        for (const e of embeddings(secret, before, after)) {
          const out = r.redact(e.text).text;
          assert.equal(leakedBeyond(out, e, [before, after]), undefined, e.label);
          const p = split % (e.text.length + 1);
          const streamed = streamAll(r, [e.text.slice(0, p), e.text.slice(p)]);
          assert.equal(leakedBeyond(streamed, e, [before, after]), undefined, e.label);
        }
      }),
      { numRuns: 60, examples: [['toStringAAAAAAn', 'toString', '', 0]] },
    );
  });

  it('leaves text that holds no form of the secret unchanged', () => {
    fc.assert(
      fc.property(secretArb, textArb, (secret, text) => {
        fc.pre(encodedForms(secret).every((f) => !text.includes(f.text)));
        const r = createRedactor({ values: [{ name: 'S', value: secret }] });
        assert.deepEqual(r.redact(text), { text, findings: [] });
        assert.equal(streamAll(r, [text.slice(0, 7), text.slice(7)]), text);
      }),
      { numRuns: 200 },
    );
  });
});
