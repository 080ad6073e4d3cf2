import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { startEgressProxy } from '../../../src/sandbox/index.ts';
import type { EgressEvent, EgressProxy } from '../../../src/sandbox/index.ts';

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes('\r\n\r\n') && out.startsWith('HTTP/1.1 200 Connection')) {
        s.write('GET /tunnel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      }
    });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.write(text);
  });
}

describe('egress proxy (host side, TCP listener for tests)', () => {
  let upstream: Server;
  let up = 0;
  let proxy: EgressProxy;
  const events: EgressEvent[] = [];

  before(async () => {
    upstream = createServer((req, res) => res.end(`up ${req.url} host=${req.headers.host}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    up = (upstream.address() as { port: number }).port;
    proxy = await startEgressProxy({
      socketPath: 0,
      sandboxId: 'sbx-test',
      allowHosts: [`127.0.0.1:${up}`],
      onDecision: (e) => events.push(e),
    });
  });

  after(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  it('tunnels CONNECT to an allowed authority and reports bytes', async () => {
    const out = await raw(
      proxy.port ?? 0,
      `CONNECT 127.0.0.1:${up} HTTP/1.1\r\nHost: 127.0.0.1:${up}\r\n\r\n`,
    );
    assert.match(out, /up \/tunnel/);
    await new Promise((r) => setTimeout(r, 20));
    const e = events.find((x) => x.kind === 'connect' && x.allowed);
    assert.ok(e && e.bytesIn > 0 && e.bytesOut > 0 && e.sandboxId === 'sbx-test');
  });

  it('refuses CONNECT to another port with 403 (twin)', async () => {
    const out = await raw(proxy.port ?? 0, `CONNECT 127.0.0.1:${up + 1} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(out, /^HTTP\/1.1 403/);
    assert.ok(events.some((x) => !x.allowed && x.port === up + 1 && x.reason === 'port-not-allowed'));
  });

  it('forwards absolute-form HTTP to an allowed host', async () => {
    const out = await raw(
      proxy.port ?? 0,
      `GET http://127.0.0.1:${up}/fwd HTTP/1.1\r\nHost: 127.0.0.1:${up}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(out, /^HTTP\/1.1 200/);
    assert.match(out, /up \/fwd/);
  });

  it('[SS-10] the upstream sees the authorized authority as Host, not a client-chosen one', async () => {
    const out = await raw(
      proxy.port ?? 0,
      `GET http://127.0.0.1:${up}/h HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n`,
    );
    assert.match(out, new RegExp(`host=127\\.0\\.0\\.1:${up}`));
    assert.doesNotMatch(out, /evil\.test/);
  });

  it('[SS-6] refuses absolute-form URLs with userinfo, and origin-form requests', async () => {
    const ui = await raw(
      proxy.port ?? 0,
      `GET http://127.0.0.1:${up}@127.0.0.1:${up}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    assert.match(ui, /^HTTP\/1.1 403/);
    assert.ok(events.some((x) => x.reason === 'userinfo'));
    const origin = await raw(
      proxy.port ?? 0,
      `GET /x HTTP/1.1\r\nHost: 127.0.0.1:${up}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(origin, /^HTTP\/1.1 400/);
  });
});
