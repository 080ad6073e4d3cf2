/** THREATS DoS-1: one agent's tool-call storm is refused early; other agents are unaffected. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/index.ts';
import { parseConfig } from '../../../src/config/index.ts';
import { RateLimiter } from '../../../src/gateway/steps/rate-limit.ts';
import { auditUntil, startTestGateway } from '../../helpers/gateway.ts';
import type { AuditRecord } from '../../../src/audit/index.ts';
import type { TestGateway } from '../../helpers/gateway.ts';
import { post, rawSession } from '../../helpers/raw-mcp.ts';

const PROBE = join(import.meta.dirname, '..', '..', 'fixtures', 'servers', 'probe-server.mjs');
const POLICY = `@id("probe-all")
permit (principal in Warden::Role::"user", action == Warden::Action::"call_tool", resource in Warden::Server::"probe");
`;
const call = (id: number): string =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"probe.echo","arguments":{"text":"hi"}}}`;
type Err = { error?: { code: number; message: string; data?: { code: string; retryAfterMs: number } } };

describe('per-agent rate limit (gateway.rate_limit)', () => {
  let t: TestGateway;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let effects: () => number;
  const clock = new ManualClock();

  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      start: { clock },
      yaml: (dir) => {
        const counter = join(dir, 'effects.log');
        effects = () =>
          existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0;
        return `version: 1\ngateway:\n  listen: 127.0.0.1:0\n  rate_limit:\n    calls_per_second: 2\n    burst: 3\nservers:\n  probe:\n    command: ${process.execPath}\n    args: ["${PROBE}"]\n    env:\n      PROBE_COUNTER_FILE: "${counter}"\n`;
      },
    });
    alice = await rawSession(t.gw.url, await t.agent('alice', ['user']));
    bob = await rawSession(t.gw.url, await t.agent('bob', ['user']));
  });
  after(() => t.cleanup());

  it('[DoS-1] refuses an agent past its burst before any upstream work, names when to retry, audits it', async () => {
    const before = effects();
    const replies: Err[] = [];
    for (let i = 1; i <= 6; i++) replies.push((await post(t.gw.url, call(i), alice)).json as Err);
    assert.equal(replies.filter((r) => r.error === undefined).length, 3, JSON.stringify(replies));
    const refused = replies.slice(3);
    for (const r of refused) {
      assert.equal(r.error?.code, -32013);
      assert.match(r.error.message, /Rate limited/);
      assert.equal(r.error.data?.code, 'ERR_RATE_LIMITED');
      assert.equal(r.error.data.retryAfterMs, 500);
    }
    assert.equal(effects() - before, 3, 'refused calls never reach the upstream');
    const isRefusal = (r: AuditRecord): boolean =>
      r.kind === 'mcp.rejected' && r.errorCode === 'ERR_RATE_LIMITED';
    const rejected = (await auditUntil(t.gw, isRefusal, 3)).filter(isRefusal);
    assert.equal(rejected.length, 3);
    assert.ok(rejected.every((r) => r.principal === 'alice' && r.outcome === 'denied'));
  });

  it('[DoS-1] twin: another agent is unaffected, and the storming agent recovers at the configured rate', async () => {
    const b = (await post(t.gw.url, call(10), bob)).json as Err;
    assert.equal(b.error, undefined, JSON.stringify(b));
    clock.advance(500);
    const a1 = (await post(t.gw.url, call(11), alice)).json as Err;
    assert.equal(a1.error, undefined, JSON.stringify(a1));
    const a2 = (await post(t.gw.url, call(12), alice)).json as Err;
    assert.equal(a2.error?.code, -32013);
  });
});

describe('RateLimiter', () => {
  it('holds at most `burst` tokens and refills continuously', () => {
    const l = new RateLimiter(10, 2);
    assert.equal(l.take('a', 0), 0);
    assert.equal(l.take('a', 0), 0);
    assert.equal(l.take('a', 0), 100);
    assert.equal(l.take('a', 50), 50);
    assert.equal(l.take('a', 100), 0);
    assert.equal(l.take('b', 100), 0, 'keys are independent');
    assert.equal(l.take('a', 1_000_000), 0);
    assert.equal(l.take('a', 1_000_000), 0);
    assert.ok(l.take('a', 1_000_000) > 0, 'idle time never banks more than the burst');
  });

  it('config: rate_limit is false or {calls_per_second, burst}; anything else names the path', () => {
    const base = 'version: 1\ngateway:\n  rate_limit: ';
    assert.equal(parseConfig(`${base}false\n`, '/tmp/w.yaml').gateway.rateLimit, false);
    assert.equal(parseConfig('version: 1\n', '/tmp/w.yaml').gateway.rateLimit, false);
    assert.deepEqual(
      parseConfig(`${base}\n    calls_per_second: 20\n    burst: 40\n`, '/tmp/w.yaml').gateway.rateLimit,
      { callsPerSecond: 20, burst: 40 },
    );
    for (const bad of [
      'true',
      '5',
      '\n    calls_per_second: 0\n    burst: 1',
      '\n    calls_per_second: 1\n    burst: 0.5',
      '\n    calls_per_second: 1\n    burst: 2\n    extra: 1',
    ]) {
      assert.throws(() => parseConfig(`${base}${bad}\n`, '/tmp/w.yaml'), /gateway\.rate_limit/, bad);
    }
  });
});
