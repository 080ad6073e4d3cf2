import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer, Socket } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { AuditRecord } from '../../src/audit/index.ts';
import type { LogFields, Logger } from '../../src/core/index.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { sandboxUnavailable } from '../integration/sandbox/helpers.ts';

const unavailable = sandboxUnavailable();
const FETCH = join(import.meta.dirname, '..', 'fixtures', 'servers', 'fetch-server.mjs');

const POLICY = `
@id("tester-all")
permit (principal in Warden::Role::"tester", action == Warden::Action::"call_tool", resource);
`;

/** A logger that keeps warnings (the opt-out must be announced). */
function recordingLogger(warnings: { msg: string; fields?: LogFields }[]): Logger {
  const l: Logger = {
    debug: () => {},
    info: () => {},
    warn: (msg, fields) => void warnings.push({ msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => void warnings.push({ msg, ...(fields ? { fields } : {}) }),
    child: () => l,
  };
  return l;
}

const text = (r: unknown): string => JSON.stringify((r as { content?: unknown }).content ?? r);

describe('the gateway runs stdio servers sandboxed by default (issue 3)', { skip: unavailable }, () => {
  let t: TestGateway;
  let c: Client;
  let allowed: Server;
  let sink: TcpServer;
  let sinkHits = 0;
  const sockets = new Set<Socket>();
  let A = 0;
  let S = 0;
  const canary = `CANARY-${randomBytes(8).toString('hex')}`;
  const warnings: { msg: string; fields?: LogFields }[] = [];

  before(async () => {
    allowed = createServer((_req, res) => res.writeHead(200, { connection: 'close' }).end('allowed-body'));
    await new Promise<void>((r) => allowed.listen(0, '127.0.0.1', r));
    A = (allowed.address() as { port: number }).port;
    sink = createTcpServer((s) => {
      sinkHits++;
      s.on('error', () => {});
      sockets.add(s);
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nsink');
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    S = (sink.address() as { port: number }).port;
    t = await startTestGateway({
      launcher: 'sandbox',
      policies: { 'test.cedar': POLICY },
      start: { logger: recordingLogger(warnings) },
      yaml: (dir) => {
        mkdirSync(join(dir, 'ws'));
        chmodSync(join(dir, 'ws'), 0o755);
        writeFileSync(join(dir, 'ws', 'hello.txt'), 'hello from the workspace\n');
        writeFileSync(join(dir, 'outside.txt'), canary, { mode: 0o644 });
        return [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'servers:',
          '  fs:',
          '    package: "@modelcontextprotocol/server-filesystem"',
          '    args: ["/workspace"]',
          '    sandbox:',
          '      workspace: { mode: bind, path: ws }',
          // the positive control: the same server, opted out, may read the whole temp dir
          '  fsplain:',
          '    package: "@modelcontextprotocol/server-filesystem"',
          `    args: [${JSON.stringify(dir)}]`,
          '    sandbox: false',
          '  fetch:',
          `    command: ${JSON.stringify(process.execPath)}`,
          `    args: [${JSON.stringify(FETCH)}]`,
          '    sandbox:',
          `      allowHosts: ["127.0.0.1:${A}"]`,
          '  fetchplain:',
          `    command: ${JSON.stringify(process.execPath)}`,
          `    args: [${JSON.stringify(FETCH)}]`,
          '    sandbox: false',
          '',
        ].join('\n');
      },
    });
    c = await t.client(await t.agent('tester-bot', ['tester']));
  });

  after(async () => {
    await t?.cleanup();
    allowed?.closeAllConnections();
    await new Promise<void>((r) => (allowed ? allowed.close(() => r()) : r()));
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
  });

  const call = async (name: string, args: Record<string, unknown>): Promise<string> =>
    text(await c.callTool({ name, arguments: args }));

  it('reads a file inside the workspace (/workspace) through the gateway', async () => {
    assert.match(
      await call('fs.read_text_file', { path: '/workspace/hello.txt' }),
      /hello from the workspace/,
    );
  });

  it('positive control: the opted-out server reads the planted file outside the workspace', async () => {
    assert.match(
      await call('fsplain.read_text_file', { path: join(t.dir, 'outside.txt') }),
      new RegExp(canary),
    );
  });

  it('[SX-1] sandboxed, a read of the planted file outside the workspace fails', async () => {
    for (const path of [
      join(t.dir, 'outside.txt'),
      '/workspace/../outside.txt',
      join(t.dir, 'warden.yaml'),
    ]) {
      const r = await call('fs.read_text_file', { path }).catch((e: Error) => e.message);
      assert.doesNotMatch(r, new RegExp(canary), path);
      assert.doesNotMatch(r, /version: 1/, path);
    }
  });

  it('fetch reaches the allow-listed loopback host from inside the sandbox', async () => {
    assert.match(
      await call('fetch.fetch_url', { url: `http://127.0.0.1:${A}/x` }),
      /status 200: allowed-body/,
    );
  });

  it('[SS-3][SS-8] fetch reaches nothing else: the second loopback listener counts zero connections', async () => {
    for (const url of [`http://127.0.0.1:${S}/`, `http://localhost:${S}/`, `http://[::1]:${S}/`]) {
      const r = await call('fetch.fetch_url', { url });
      assert.doesNotMatch(r, /status 200: sink/, url);
    }
    assert.equal(sinkHits, 0, 'ESCAPE: the sandboxed server reached the second listener');
  });

  it('positive control: the opted-out fetch server does reach the second listener', async () => {
    const before = sinkHits;
    assert.match(await call('fetchplain.fetch_url', { url: `http://127.0.0.1:${S}/` }), /status 200: sink/);
    assert.equal(sinkHits, before + 1);
  });

  it('egress decisions land in the audit log with server, session, host, port, allowed and bytes', async () => {
    let egress: AuditRecord[] = [];
    for (
      let i = 0;
      i < 100 && !(egress.some((r) => r.decision === 'allow') && egress.some((r) => r.decision === 'deny'));
      i++
    ) {
      egress = (await t.gw.services.audit.tail(200)).filter((r) => r.kind === 'egress');
      if (egress.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    const ok = egress.find((r) => r.decision === 'allow');
    assert.ok(ok, 'no allowed egress record');
    assert.equal(ok.server, 'fetch');
    assert.match(ok.session ?? '', /.+/);
    assert.equal(ok.data?.['host'], '127.0.0.1');
    assert.equal(ok.data?.['port'], A);
    assert.equal(ok.data?.['allowed'], true);
    assert.ok((ok.data?.['bytesIn'] as number) > 0);
    const denied = egress.filter((r) => r.decision === 'deny');
    assert.ok(
      denied.some((r) => r.data?.['port'] === S && r.server === 'fetch' && r.data['allowed'] === false),
    );
  });

  it('sandbox: false runs unsandboxed, warns at start and is recorded in gateway.started', async () => {
    assert.ok(warnings.some((w) => /UNSANDBOXED/.test(w.msg) && w.fields?.['server'] === 'fsplain'));
    assert.ok(warnings.some((w) => /UNSANDBOXED/.test(w.msg) && w.fields?.['server'] === 'fetchplain'));
    assert.ok(!warnings.some((w) => /UNSANDBOXED/.test(w.msg) && w.fields?.['server'] === 'fs'));
    const started = (await t.gw.services.audit.tail(500)).find((r) => r.kind === 'gateway.started');
    const sb = started?.data?.['sandbox'] as {
      launcher: string;
      sandboxed: string[];
      unsandboxed: { server: string; reason: string }[];
    };
    assert.equal(sb.launcher, 'bubblewrap');
    assert.deepEqual([...sb.sandboxed].sort(), ['fetch', 'fs']);
    assert.deepEqual(sb.unsandboxed.map((u) => `${u.server}:${u.reason}`).sort(), [
      'fetchplain:sandbox: false',
      'fsplain:sandbox: false',
    ]);
  });

  it('[SX-15] the self-test ran before the first sandbox launch and passed', async () => {
    await t.gw.services.sandboxing?.selfTest;
    const st = (await t.gw.services.audit.tail(500)).find((r) => r.kind === 'sandbox.self-test');
    assert.equal(st?.data?.['ok'], true);
  });
});
