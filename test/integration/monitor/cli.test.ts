/**
 * `warden alerts [--follow] [--json]` and `warden trace TASK|SESSION [--json]` as a user runs
 * them: the real CLI in a child process, against the store and audit log of a real gateway
 * that served an official SDK client and a real stdio MCP server.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestGateway, wardenCli } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';
import { probeYaml } from '../../helpers/probe.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TSX = import.meta.resolve('tsx');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const POLICY = `@id("dev-probe")
permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"probe");`;

const warden = wardenCli;

function gateway(): Promise<TestGateway> {
  return startTestGateway({
    policies: { 'p.cedar': POLICY },
    yaml: () => probeYaml(['learning: { minEvents: 0, minDurationMs: 0 }', 'flushIntervalMs: 50']),
  });
}

describe('warden alerts and warden trace', () => {
  it(
    'lists alerts with their evidence, follows new ones, and renders a session as a timeline',
    { timeout: 120_000 },
    async () => {
      const t = await gateway();
      try {
        const c = await t.client(await t.agent('alice', ['dev']));
        const session = (c.transport as StreamableHTTPClientTransport).sessionId!;
        await c.callTool({ name: 'probe.echo', arguments: { text: 'hello' } }); // first-time tool: one alert
        await c.callTool({ name: 'probe.echo', arguments: { text: 'again' } });
        await t.gw.services.monitor!.monitor.flush();

        const human = warden(t, 'alerts');
        assert.equal(human.code, 0, human.stderr);
        assert.match(human.stdout, /alert first-tool agent=alice .*\[audit \d+\]/);
        const json = warden(t, '--json', 'alerts');
        const lines = json.stdout.trim().split('\n');
        assert.equal(lines.length, 1);
        const { alert } = JSON.parse(lines[0]!) as {
          alert: { detector: string; evidence: { auditSeqs: number[] } };
        };
        assert.equal(alert.detector, 'first-tool');
        assert.equal(alert.evidence.auditSeqs.length, 1);

        // --follow prints an alert raised while it runs, then stops on SIGTERM
        const follower = spawn(
          process.execPath,
          [
            '--import',
            TSX,
            MAIN,
            '--config',
            join(t.dir, 'warden.yaml'),
            '--json',
            'alerts',
            '--follow',
            '-n',
            '0',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        follower.stderr.on('data', (b: Buffer) => (err += b.toString()));
        const seen = new Promise<void>((resolve) =>
          follower.stdout.on('data', (b: Buffer) => {
            out += b.toString();
            if (out.includes('"probe/add"') || out.includes('add')) resolve();
          }),
        );
        const exited = new Promise<number | null>((r) => follower.on('exit', (code) => r(code)));
        await new Promise<void>((resolve) =>
          follower.stderr.on('data', () => {
            if (err.includes('following new alerts')) resolve();
          }),
        );
        await c.callTool({ name: 'probe.add', arguments: { a: 1, b: 2 } });
        await seen;
        follower.kill('SIGTERM');
        assert.equal(await exited, 0);
        const followed = JSON.parse(out.trim().split('\n')[0]!) as {
          alert: { detector: string; message: string };
        };
        assert.equal(followed.alert.detector, 'first-tool');
        assert.match(followed.alert.message, /add/);

        const trace = warden(t, 'trace', session);
        assert.equal(trace.code, 0, trace.stderr);
        const rows = trace.stdout.trim().split('\n');
        // the session's first records are the supply-chain verdicts of its first tools/list
        assert.match(rows[0]!, /supply\.verdict alice probe\/echo ALLOW/);
        assert.ok(
          rows.some((r) =>
            /mcp\.request alice tools\/call probe\/echo \{"text":"hello"\} ALLOW by dev-probe/.test(r),
          ),
          trace.stdout,
        );
        // the alert is nested under the call it is about (one level deeper), after the call's records
        assert.ok(
          rows.some((r) =>
            /^#\d+ +\+[\d.]+s {3}monitor\.alert alice .*first-tool alert: .*\[audit \d+\]/.test(r),
          ),
          trace.stdout,
        );
        assert.ok(
          rows.some((r) => /mcp\.completed alice tools\/call probe\/echo → ok \d+B [\d.]+ms/.test(r)),
        );
        const tj = warden(t, '--json', 'trace', session);
        const parsed = JSON.parse(tj.stdout) as {
          timeline: { record: { kind: string; traceId?: string } }[];
        };
        assert.ok(parsed.timeline.length >= 7);
        // session-level records (listings, supply verdicts) are found by session; every call
        // record carries the session's one trace id
        const traced = parsed.timeline.filter((e) => e.record.kind.startsWith('mcp.'));
        assert.ok(traced.length >= 4);
        assert.ok(
          traced.every(
            (e) => e.record.traceId !== undefined && e.record.traceId === traced[0]!.record.traceId,
          ),
        );
      } finally {
        await t.cleanup();
      }
    },
  );

  it('exits 1 naming an unknown session, and 2 on bad usage', { timeout: 120_000 }, async () => {
    const t = await gateway();
    try {
      const none = warden(t, 'trace', 'no-such-session');
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no audit records for task or session "no-such-session" \[ERR_NOT_FOUND\]/);
      assert.equal(warden(t, 'alerts', '--lines', 'many').code, 2);
      assert.equal(warden(t, 'trace', 'bad id').code, 2);
      assert.match(warden(t, 'alerts', '--help').stdout, /--follow/);
      assert.match(warden(t, 'trace', '--help').stdout, /decision chain/);
    } finally {
      await t.cleanup();
    }
  });
});
