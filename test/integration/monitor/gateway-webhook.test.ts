/**
 * The webhook alert sink on a real gateway: each alert is POSTed with an HMAC signature over
 * the exact body, and a webhook receiver that never answers does not hold up any call.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestGateway } from '../../helpers/gateway.ts';
import { probeYaml } from '../../helpers/probe.ts';

const SECRET = 'webhook-hmac-key-canary-0123456789';

async function hook(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function gateway(url: string) {
  process.env.WARDEN_TEST_WEBHOOK_KEY = SECRET;
  return startTestGateway({
    policies: {
      'p.cedar': `@id("dev-probe") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"probe");`,
    },
    yaml: () =>
      probeYaml([
        'learning: { minEvents: 0, minDurationMs: 0 }',
        `webhook: { url: ${JSON.stringify(url)}, secretEnv: WARDEN_TEST_WEBHOOK_KEY, maxAttempts: 1, timeoutMs: 60000 }`,
      ]),
  });
}

describe('webhook alerts from the gateway', () => {
  it('POSTs each alert signed with HMAC-SHA256 over the exact body', async () => {
    const got: { sig: string | undefined; body: string }[] = [];
    let arrived: () => void = () => {};
    const delivered = new Promise<void>((r) => (arrived = r));
    const rx = await hook((req, body, res) => {
      got.push({ sig: req.headers['x-warden-signature'] as string | undefined, body });
      res.writeHead(204).end();
      arrived();
    });
    const t = await gateway(rx.url);
    try {
      const c = await t.client(await t.agent('alice', ['dev']));
      await c.callTool({ name: 'probe.echo', arguments: { text: 'hi' } });
      await delivered;
    } finally {
      await t.cleanup();
      await rx.close();
    }
    assert.equal(got.length, 1);
    const { sig, body } = got[0]!;
    assert.equal(sig, 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex'));
    const payload = JSON.parse(body) as {
      type: string;
      alert: { detector: string; evidence: { auditSeqs: number[] } };
    };
    assert.equal(payload.type, 'warden.alert');
    assert.equal(payload.alert.detector, 'first-tool');
    assert.equal(payload.alert.evidence.auditSeqs.length, 1);
    assert.equal(body.includes(SECRET), false);
  });

  it('never holds up calls while the webhook receiver hangs', async () => {
    let pending = 0;
    let first: () => void = () => {};
    const reached = new Promise<void>((r) => (first = r));
    const rx = await hook(() => {
      pending++; // never answered
      first();
    });
    const t = await gateway(rx.url);
    try {
      const c = await t.client(await t.agent('alice', ['dev']));
      await c.callTool({ name: 'probe.echo', arguments: { text: 'one' } }); // alert: first-time echo
      await reached;
      // the webhook request for that alert is still open; further alerting calls still complete
      const r = await c.callTool({ name: 'probe.add', arguments: { a: 1, b: 2 } });
      assert.deepEqual(r.content, [{ type: 'text', text: '3' }]);
      await c.callTool({ name: 'probe.echo', arguments: { text: 'two' } });
      assert.equal(pending, 1);
      assert.ok(t.gw.services.monitor!.webhook!.stats().queued >= 1);
    } finally {
      await rx.close();
      await t.cleanup();
    }
  });
});
