import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRedactor,
  createStreamRedactor,
  patternRuleNames,
  PATTERN_WINDOW,
} from '../../../src/secrets/index.ts';

const r = createRedactor({ values: [], patterns: true });

// Synthetic credentials in the providers' formats (not real keys).
const samples: [string, string][] = [
  ['github', `ghp_${'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5'.slice(0, 36)}`],
  ['slack', 'xoxb-1234567890-1234567890123-abcdefghijABCDEFGHIJabcd'],
  ['anthropic', `sk-ant-api03-${'Ab9'.repeat(31)}AA`],
  ['database-connection-string', 'postgres://admin:S3cr3tPassw0rd@db.internal.test:5432/app'],
  ['aws', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKX'],
];

describe('pattern rules (secretlint recommended preset)', () => {
  it('loads the maintained rules, without the comment-filter rule', () => {
    const names = patternRuleNames();
    assert.ok(names.includes('github') && names.includes('privatekey'));
    assert.ok(!names.includes('filter-comments'));
  });

  for (const [rule, sample] of samples) {
    it(`redacts a ${rule} credential`, () => {
      const out = r.redact(`config: ${sample} end`);
      assert.ok(
        out.findings.some((f) => f.ruleId.startsWith(`pattern:${rule}/`)),
        JSON.stringify(out.findings),
      );
      const secretPart = rule === 'aws' ? sample.split('=')[1]! : sample.slice(-12);
      assert.ok(!out.text.includes(secretPart), out.text);
    });
  }

  it('cannot be switched off by a secretlint-disable comment in the output', () => {
    const text = `// secretlint-disable\n${samples[0]![1]}\n// secretlint-enable`;
    assert.ok(!r.redact(text).text.includes(samples[0]![1]));
  });

  it('leaves ordinary text alone (deny twin)', () => {
    const text = 'The build passed; see https://example.test/docs for ghp and xox notes.';
    assert.deepEqual(r.redact(text), { text, findings: [] });
  });

  it('finds a credential past the first scan window and across a window boundary', () => {
    const filler = 'x '.repeat(PATTERN_WINDOW / 2 - 10);
    const text = `${filler}${samples[1]![1]} ${'y '.repeat(PATTERN_WINDOW)}${samples[0]![1]}`;
    const out = r.redact(text).text;
    assert.ok(!out.includes(samples[1]![1]) && !out.includes(samples[0]![1]));
  });

  it('redacts a pattern credential split across stream chunks', () => {
    const text = `log line ${samples[0]![1]} tail`;
    for (let p = 0; p <= text.length; p++) {
      const s = createStreamRedactor(r);
      const out = s.push(text.slice(0, p)) + s.push(text.slice(p)) + s.flush();
      assert.ok(!out.includes(samples[0]![1]), `split at ${p}`);
    }
  });
});
