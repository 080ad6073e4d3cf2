import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startEgressProxy } from '../../../src/sandbox/index.ts';
import type { EgressEvent, EgressProxy } from '../../../src/sandbox/index.ts';
import { createRedactor, createSubstituter, placeholderFor } from '../../../src/secrets/index.ts';

const VALUE = 'ghp_RewriteHook_5Tq9Wm2Xz8Lp';
const OTHER_SECRET = 'wdn-other-9fK2mQ7xZ3pL';

/** A raw TCP server recording every byte it receives, answering like an HTTP server. */
async function rawRecorder(): Promise<{ server: Server; seen: Buffer[]; port: number }> {
  const seen: Buffer[] = [];
  const server = createServer((s: Socket) => {
    s.on('data', (d: Buffer) => {
      seen.push(d);
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, port: (server.address() as AddressInfo).port };
}

/** Sends raw bytes through a CONNECT tunnel; resolves with everything the proxy answered. */
function throughTunnel(proxyPort: number, authority: string, payload: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(proxyPort, '127.0.0.1');
    let out = '';
    let sent = false;
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (!sent && out.includes('\r\n\r\n')) {
        sent = true;
        s.write(payload);
      }
    });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

describe('egress rewrite hook: placeholders swapped only for bound hosts (CD-5)', () => {
  let bound: Awaited<ReturnType<typeof rawRecorder>>;
  let other: Awaited<ReturnType<typeof rawRecorder>>;
  let proxy: EgressProxy;
  const events: EgressEvent[] = [];
  const ph = placeholderFor('API_KEY');

  before(async () => {
    bound = await rawRecorder();
    other = await rawRecorder();
    const rewrite = createSubstituter(
      [{ name: 'API_KEY', placeholder: ph, value: VALUE, hosts: [`127.0.0.1:${bound.port}`] }],
      { guard: createRedactor({ values: [{ name: 'OTHER', value: OTHER_SECRET }] }) },
    );
    proxy = await startEgressProxy({
      socketPath: 0,
      sandboxId: 'sbx-test',
      allowHosts: ['127.0.0.1'],
      allowPorts: [bound.port, other.port],
      onDecision: (e) => events.push(e),
      rewrite,
    });
  });
  after(async () => {
    await proxy.close();
    bound.server.close();
    other.server.close();
  });

  it('absolute-form HTTP through the proxy: the bound host gets the real value', async () => {
    const status = await new Promise<number>((resolve) => {
      const rq = request({
        host: '127.0.0.1',
        port: proxy.port,
        path: `http://127.0.0.1:${bound.port}/a?key=${ph}`,
        headers: { authorization: `Bearer ${ph}` },
      });
      rq.on('response', (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      rq.end();
    });
    assert.equal(status, 200);
    const got = Buffer.concat(bound.seen).toString();
    assert.ok(got.includes(`key=${VALUE}`) && got.includes(`Bearer ${VALUE}`));
    assert.ok(!got.includes(ph));
  });

  it('plain HTTP inside a CONNECT tunnel is rewritten too; the unbound host gets nothing', async () => {
    bound.seen.length = 0;
    const req = (port: number): string =>
      `POST /b HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${ph.length + 4}\r\n\r\nkey=${ph}`;
    const ok = await throughTunnel(proxy.port!, `127.0.0.1:${bound.port}`, req(bound.port));
    assert.match(ok, /200 OK[\s\S]*ok$/);
    assert.ok(Buffer.concat(bound.seen).toString().includes(`key=${VALUE}`));
    const refused = await throughTunnel(proxy.port!, `127.0.0.1:${other.port}`, req(other.port));
    assert.match(refused, /403 Forbidden[\s\S]*placeholder for secret API_KEY sent to unbound host/);
    assert.deepEqual(other.seen, []);
    assert.ok(events.some((e) => !e.allowed && /unbound host/.test(e.reason)));
  });

  it('another secret of the broker in a request is refused; a clean request passes', async () => {
    const leak = `GET /?q=${encodeURIComponent(OTHER_SECRET)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    assert.match(await throughTunnel(proxy.port!, `127.0.0.1:${other.port}`, leak), /403 Forbidden/);
    assert.deepEqual(other.seen, []);
    const clean = `GET /fine HTTP/1.1\r\nHost: x\r\n\r\n`;
    assert.match(await throughTunnel(proxy.port!, `127.0.0.1:${other.port}`, clean), /200 OK/);
    assert.equal(other.seen.length, 1);
  });

  it('a TLS tunnel is relayed untouched (opaque: a placeholder inside is never swapped)', async () => {
    other.seen.length = 0;
    const hello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), Buffer.from(`not really tls ${ph}`)]);
    await throughTunnel(proxy.port!, `127.0.0.1:${other.port}`, hello);
    const got = Buffer.concat(other.seen);
    assert.equal(got[0], 0x16);
    assert.ok(got.toString('latin1').includes(ph) && !got.toString('latin1').includes(VALUE));
  });
});
