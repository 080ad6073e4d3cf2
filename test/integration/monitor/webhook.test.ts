import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MemoryLogger } from '../../../src/core/index.ts';
import { WebhookSink } from '../../../src/monitor/index.ts';
import type { Alert } from '../../../src/monitor/index.ts';

const SECRET = 'whsec-canary-7f3a9c';
const alert = (id: string): Alert => ({
  id,
  time: 1,
  severity: 'high',
  detector: 'toxic-flow',
  agent: 'a',
  message: 'm',
  evidence: { auditSeqs: [1, 2] },
  mode: 'alert',
  dedupKey: 'k',
  count: 1,
});

async function receiver(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const verify = (body: string, header: string | undefined): boolean => {
  const want = Buffer.from('sha256=' + createHmac('sha256', SECRET).update(body).digest('hex'));
  const got = Buffer.from(header ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
};

describe('WebhookSink', () => {
  it('posts the alert as JSON with a valid X-Warden-Signature HMAC', async () => {
    const got: { ok: boolean; body: string }[] = [];
    const r = await receiver((req, body, res) => {
      got.push({ ok: verify(body, req.headers['x-warden-signature'] as string), body });
      res.end('ok');
    });
    const log = new MemoryLogger();
    const sink = new WebhookSink({ url: r.url, secret: SECRET, logger: log });
    sink.deliver(alert('a1'));
    await sink.close();
    await r.close();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.ok, true);
    assert.equal((JSON.parse(got[0]!.body) as { alert: Alert }).alert.id, 'a1');
    assert.equal(log.text().includes(SECRET), false);
  });

  it('a receiver with another key sees a signature that does not verify (twin)', async () => {
    let sig = '';
    let body = '';
    const r = await receiver((req, b, res) => {
      sig = req.headers['x-warden-signature'] as string;
      body = b;
      res.end();
    });
    const sink = new WebhookSink({ url: r.url, secret: 'another-key', logger: new MemoryLogger() });
    sink.deliver(alert('a2'));
    await sink.close();
    await r.close();
    assert.equal(verify(body, sig), false);
  });

  it('retries with backoff after server errors, then delivers', async () => {
    let n = 0;
    const r = await receiver((_req, _b, res) => {
      n++;
      res.statusCode = n < 3 ? 503 : 200;
      res.end();
    });
    const sink = new WebhookSink({ url: r.url, secret: SECRET, logger: new MemoryLogger(), backoffMs: 5 });
    sink.deliver(alert('a3'));
    await sink.close();
    await r.close();
    assert.equal(n, 3);
    assert.deepEqual(
      { ...sink.stats(), queued: 0 },
      { delivered: 1, dropped: 0, failed: 0, retries: 2, queued: 0 },
    );
  });

  it('never blocks the caller: deliver() returns before the receiver answers, overflow is dropped and counted', async () => {
    const pending: ServerResponse[] = [];
    const r = await receiver((_req, _b, res) => pending.push(res));
    const sink = new WebhookSink({ url: r.url, secret: SECRET, logger: new MemoryLogger(), maxQueue: 2 });
    for (let i = 0; i < 10; i++) sink.deliver(alert(`b${i}`));
    // one in flight, two queued, seven dropped: all of that happened synchronously
    assert.equal(sink.stats().dropped, 7);
    while (pending.length < 1) await new Promise((res) => setImmediate(res));
    const release = setInterval(() => pending.splice(0).forEach((p) => p.end()), 5);
    await sink.close();
    clearInterval(release);
    await r.close();
    assert.equal(sink.stats().delivered, 3);
  });
});
