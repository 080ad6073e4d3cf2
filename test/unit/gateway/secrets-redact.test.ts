import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scrub, scrubAndFindSecrets, secretsIn } from '../../../src/gateway/secrets-redact.ts';
import { createRedactor, mergeSpans } from '../../../src/secrets/index.ts';
import type { Finding, RawMatch, Redactor } from '../../../src/secrets/index.ts';
import { scanPatterns } from '../../../src/secrets/pattern-rules.ts';

const SLACK = 'xoxp_Internal_4Rt8Yu2Io6';
/** A value whose only occurrence is across a key and its string in the serialised JSON. */
const ACROSS = 'token":"Zq8kL2pVw4Xr9Tn6';
/** A value with characters JSON escapes. */
const QUOTED = 'pa"ss\\wo\nrd-9Xq2Lm7Zt';

const redactors: [string, Redactor][] = [
  ['patterns only (no known values)', createRedactor({ values: [], patterns: true })],
  [
    'known values and patterns',
    createRedactor({
      values: [
        { name: 'SLACK', value: SLACK },
        { name: 'ACROSS', value: ACROSS },
        { name: 'QUOTED', value: QUOTED },
      ],
      patterns: true,
    }),
  ],
  ['known values only', createRedactor({ values: [{ name: 'SLACK', value: SLACK }] })],
];

const b64 = Buffer.from(SLACK).toString('base64');
const hex = Buffer.from(SLACK).toString('hex');
const strings = fc.oneof(
  fc.constantFrom(
    ...[
      SLACK,
      b64,
      hex,
      encodeURIComponent(QUOTED),
      QUOTED,
      JSON.stringify(QUOTED),
      'token',
      'Zq8kL2pVw4Xr9Tn6',
    ],
    ...['ghp_9fK2xQ7mZ1aB3cD4eF5gH6iJ7kL8mN9oP0q', 'postgres://app:Zq8kL2pVw4Xr9Tn6@db.internal:5432/app'],
    ...['bench-12-345', 'a/b~c', '', 'xoxb-2210587349-9184406327715-Qv8ZpR3kT6mW1yN4bJ7cL2sD'],
  ),
  fc.string({ maxLength: 20 }),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    strings,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(strings, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** The redactJson walk as it was before its fast paths (eager pointers, redact per string), as a reference. */
function referenceRedactJson(r: Redactor, value: unknown): { value: unknown; findings: unknown[] } {
  const findings: { path: string; ruleId: string }[] = [];
  const esc = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      const res = r.redact(v);
      for (const f of res.findings) findings.push({ path, ruleId: f.ruleId });
      return res.findings.length === 0 ? v : res.text;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}/${i}`));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const key = r.redact(k);
        for (const f of key.findings) findings.push({ path: `${path}/${esc(key.text)}`, ruleId: f.ruleId });
        Object.defineProperty(out, key.text, {
          value: walk(x, `${path}/${esc(key.text)}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return v;
  };
  return { value: walk(value, ''), findings };
}

/** The previous exfil step: scrub for the audit copy, then secretsIn. */
function twoWalks(r: Redactor, v: unknown): { value: unknown; findings: unknown; secrets: string[] } {
  const s = scrub(r, v);
  return { value: s.value, findings: s.findings, secrets: secretsIn(r, v) };
}

describe('scrubAndFindSecrets (the exfil step’s one walk)', () => {
  for (const [label, r] of redactors) {
    it(`gives exactly scrub + secretsIn, ${label}`, () => {
      fc.assert(
        fc.property(json, (v) => {
          const one = scrubAndFindSecrets(r, v);
          assert.deepEqual(one, twoWalks(r, v));
          const ref = referenceRedactJson(r, v);
          // (the reference copies every object; prototypes aside, the text must be the same)
          assert.equal(JSON.stringify(one.value), JSON.stringify(ref.value));
          assert.deepEqual(one.findings, ref.findings);
        }),
        { numRuns: 1500, seed: 424242 },
      );
    });
  }

  it('[EX-6] names a secret found only across a key and its value in the serialised JSON', () => {
    const r = redactors[1]![1];
    const args = { token: 'Zq8kL2pVw4Xr9Tn6' };
    assert.deepEqual(scrubAndFindSecrets(r, args).secrets, ['ACROSS']);
    assert.deepEqual(secretsIn(r, args), ['ACROSS']);
    assert.deepEqual(scrubAndFindSecrets(r, { token: 'Zq8kL2pVw4Xr9Tn' }).secrets, [], 'deny twin');
  });

  it('[EX-6] names secrets in keys and nested strings, in any encoding', () => {
    const r = redactors[1]![1];
    const out = scrubAndFindSecrets(r, { [b64]: [{ q: `see ${encodeURIComponent(QUOTED)}` }] });
    assert.deepEqual(out.secrets, ['QUOTED', 'SLACK']);
    assert.ok(!JSON.stringify(out.value).includes(b64));
  });

  it('does not serialise the arguments when no known values are held', () => {
    let calls = 0;
    const args = { a: 'x', toJSON: () => (calls++, 'x') };
    assert.deepEqual(scrubAndFindSecrets(redactors[0]![1], args).secrets, []);
    assert.equal(calls, 0);
    scrubAndFindSecrets(redactors[1]![1], args);
    assert.equal(calls, 1, 'with known values the serialised text is still checked');
  });
});

describe('Redactor.find with a known-match sink', () => {
  const r = redactors[1]![1];
  it('collects what matchKnown returns and finds what the unfiltered scan merges', () => {
    fc.assert(
      fc.property(fc.array(strings, { maxLength: 5 }), (parts) => {
        const text = parts.join(' ');
        const known: RawMatch[] = [];
        const found = r.find(text, known);
        assert.deepEqual(known, r.matchKnown(text));
        const reference: Finding[] = mergeSpans([...r.matchKnown(text), ...scanPatterns(text, false)]);
        assert.deepEqual(found, reference);
      }),
      { numRuns: 1500, seed: 99 },
    );
  });
});
