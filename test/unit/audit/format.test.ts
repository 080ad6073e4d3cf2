import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatRecord, formatVerifyResult, GENESIS_HASH, safeText } from '../../../src/audit/index.ts';

describe('formatRecord', () => {
  it('renders the decision fields of a record on one line', () => {
    const line = formatRecord({
      seq: 7,
      time: Date.UTC(2026, 0, 1),
      kind: 'mcp.request',
      principal: 'agent-1',
      method: 'tools/call',
      server: 'fs',
      tool: 'read_file',
      decision: 'deny',
      policyIds: ['p1', 'p2'],
      outcome: 'denied',
      durationMs: 1.234,
      prevHash: GENESIS_HASH,
      hash: 'ab'.repeat(32),
    });
    assert.equal(
      line,
      '#7 2026-01-01T00:00:00.000Z mcp.request principal=agent-1 tools/call fs.read_file deny [p1,p2] outcome=denied 1.2ms hash=abababababab',
    );
  });

  it('[AU-4] escapes line breaks, ANSI escapes and bidi overrides instead of printing them', () => {
    const evil = 'x\r\n#8 forged\u001b[2J\u202e\u2028';
    const line = formatRecord({
      seq: 1,
      time: 0,
      kind: evil,
      tool: evil,
      prevHash: GENESIS_HASH,
      hash: GENESIS_HASH,
    });
    assert.equal(line.includes('\n'), false);
    assert.equal(line.includes('\r'), false);
    assert.equal(line.includes('\u001b'), false);
    assert.equal(line.includes('\u202e'), false);
    assert.equal(line.includes('\u2028'), false);
    assert.match(line, /x\\u\{d\}\\u\{a\}#8 forged\\u\{1b\}/);
    assert.equal(safeText('a'.repeat(10), 4), 'aaaa…');
  });

  it('summarises a verify result, naming the first bad record on failure', () => {
    assert.match(
      formatVerifyResult({ ok: true, records: 3, head: 'ab'.repeat(32), checkpoints: 1, warnings: [] }),
      /^ok: 3 records/,
    );
    const bad = formatVerifyResult({
      ok: false,
      seq: 41,
      code: 'truncated',
      reason: 'tail\ntruncated',
      records: 40,
      checkpoints: 2,
      warnings: [{ seq: 7, reason: 'clock' }],
    });
    assert.match(bad, /^FAILED at #41 \(truncated\)/);
    assert.equal(bad.includes('\n'), false);
    assert.match(bad, /first at #7/);
  });
});
