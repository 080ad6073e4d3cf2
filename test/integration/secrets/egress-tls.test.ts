import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { createSandboxCa, startEgressProxy } from '../../../src/sandbox/index.ts';
import type { EgressEvent, EgressProxy, EgressRewrite, SandboxCa } from '../../../src/sandbox/index.ts';
import { createRedactor, createSubstituter, placeholderFor } from '../../../src/secrets/index.ts';
import { createTestCa, startHttpsHost } from '../../helpers/tls.ts';
import type { HttpsHost, TestCa } from '../../helpers/tls.ts';

const VALUE = 'ghp_TlsIntercept_7Hq2Wm9Xz4Lp';
const OTHER_SECRET = 'wdn-other-tls-4fK2mQ7xZ3pL';

/** The peer certificate a client sees through a CONNECT tunnel (without verifying it). */
function peerFingerprint(proxyPort: number, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(proxyPort, '127.0.0.1');
    s.once('data', (d: Buffer) => {
      if (!/^HTTP\/1\.1 200/.test(d.toString('latin1'))) return reject(new Error(d.toString('latin1')));
      const t = tlsConnect({ socket: s, rejectUnauthorized: false }, () => {
        resolve(t.getPeerCertificate().fingerprint256);
        t.destroy();
      });
      t.on('error', reject);
    });
    s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  });
}

describe('TLS interception for placeholder-bound hosts only (CD-5, issue 5)', () => {
  let upstreamCa: TestCa;
  let bound: HttpsHost;
  let other: HttpsHost;
  let gzipped: HttpsHost;
  let ca: SandboxCa;
  let proxy: EgressProxy;
  let agent: ProxyAgent;
  const events: EgressEvent[] = [];
  const ph = placeholderFor('API_KEY');

  before(async () => {
    upstreamCa = await createTestCa();
    // the bound host echoes the credential it received, in a header and in the body (SB-5 style)
    bound = await startHttpsHost(upstreamCa, (req, body, res) => {
      const auth = String(req.headers.authorization ?? '');
      res.writeHead(200, { 'x-echo': auth, 'content-type': 'text/plain' });
      res.end(`you sent ${auth} and ${body}; encoding asked: ${String(req.headers['accept-encoding'])}`);
    });
    other = await startHttpsHost(upstreamCa);
    gzipped = await startHttpsHost(upstreamCa, (_q, _b, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(`secret ${VALUE}`));
    });
    ca = await createSandboxCa('sbx-tls-test');
    const sub = createSubstituter(
      [
        {
          name: 'API_KEY',
          placeholder: ph,
          value: VALUE,
          hosts: [`127.0.0.1:${bound.port}`, `127.0.0.1:${gzipped.port}`],
        },
      ],
      { guard: createRedactor({ values: [{ name: 'OTHER', value: OTHER_SECRET }] }) },
    );
    const rewrite: EgressRewrite = Object.assign(sub, { upstreamCa: [upstreamCa.certPem] });
    proxy = await startEgressProxy({
      socketPath: 0,
      sandboxId: 'sbx-tls-test',
      allowHosts: ['127.0.0.1'],
      allowPorts: [bound.port, other.port, gzipped.port],
      onDecision: (e) => events.push(e),
      rewrite,
      ca,
    });
    // the sandbox side trusts the sandbox CA (inside a sandbox: NODE_EXTRA_CA_CERTS) and the
    // test CA (the untouched tunnel to the other host presents the real certificate)
    agent = new ProxyAgent({
      uri: `http://127.0.0.1:${proxy.port}`,
      requestTls: { ca: [ca.certPem, upstreamCa.certPem] },
    });
  });
  after(async () => {
    await agent.close();
    await proxy.close();
    ca.destroy();
    await Promise.all([bound.close(), other.close(), gzipped.close()]);
  });

  const get = (port: number, init: { headers?: Record<string, string>; body?: string } = {}) =>
    undiciFetch(`https://127.0.0.1:${port}/api?key=${ph}`, {
      dispatcher: agent,
      method: init.body === undefined ? 'GET' : 'POST',
      ...init,
    });

  it('CD-5 over HTTPS: the bound host receives the real value; the echo comes back as the placeholder', async () => {
    const res = await get(bound.port, {
      headers: { authorization: `Bearer ${ph}`, 'accept-encoding': 'gzip, br' },
      body: `token=${ph}`,
    });
    const text = await res.text();
    assert.equal(res.status, 200);
    const seen = bound.seen.join('\n');
    assert.ok(
      seen.includes(`key=${VALUE}`) && seen.includes(`Bearer ${VALUE}`) && seen.includes(`token=${VALUE}`),
    );
    assert.ok(!seen.includes(ph), 'the placeholder was swapped in URL, header and body');
    assert.match(seen, /"accept-encoding":"identity"/, 'compression was turned off for scanning');
    // the echoed real value never reaches the client: header and body carry the placeholder
    assert.ok(!text.includes(VALUE) && text.includes(`Bearer ${ph}`), text);
    assert.equal(res.headers.get('x-echo'), `Bearer ${ph}`);
  });

  it('the bound host is presented with a leaf of the sandbox CA (intercepted)', async () => {
    const fp = await peerFingerprint(proxy.port!, bound.port);
    assert.notEqual(fp, bound.sha256);
  });

  it('twin: HTTPS to a non-bound allowed host is an untouched tunnel with the real certificate', async () => {
    assert.equal(await peerFingerprint(proxy.port!, other.port), other.sha256);
    const res = await undiciFetch(`https://127.0.0.1:${other.port}/plain`, { dispatcher: agent });
    assert.equal(await res.text(), 'ok');
    assert.equal(other.seen.length, 1);
  });

  it('CD-5: a placeholder over HTTPS to an unbound host stays opaque: the host never sees the real value', async () => {
    other.seen.length = 0;
    const res = await get(other.port, { headers: { authorization: `Bearer ${ph}` } });
    await res.text();
    const seen = other.seen.join('\n');
    assert.ok(!seen.includes(VALUE), 'the real value never leaves for an unbound host');
    assert.ok(
      seen.includes(ph),
      'positive control: the worthless placeholder went through the opaque tunnel',
    );
  });

  it('CD-5: the real value of another secret to the bound host is refused (403) and never sent', async () => {
    bound.seen.length = 0;
    const res = await get(bound.port, { headers: { 'x-leak': OTHER_SECRET } });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /secret OTHER sent to unbound host 127\.0\.0\.1/);
    assert.deepEqual(bound.seen, []);
    assert.ok(events.some((e) => !e.allowed && /secret OTHER/.test(e.reason)));
  });

  it('fails closed: a compressed answer from a bound host is refused (502), not passed unscanned', async () => {
    const res = await get(gzipped.port, { headers: { authorization: `Bearer ${ph}` } });
    assert.equal(res.status, 502);
    const text = await res.text();
    assert.match(text, /compressed-response-from-bound-host/);
    assert.ok(!text.includes(VALUE));
  });

  it('upstream verification: a bound host whose certificate is not trusted is refused (502)', async () => {
    const strangerCa = await createTestCa('stranger');
    const stranger = await startHttpsHost(strangerCa);
    const sub = createSubstituter([
      { name: 'API_KEY', placeholder: ph, value: VALUE, hosts: [`127.0.0.1:${stranger.port}`] },
    ]);
    const p = await startEgressProxy({
      socketPath: 0,
      sandboxId: 'sbx-tls-stranger',
      allowHosts: ['127.0.0.1'],
      allowPorts: [stranger.port],
      rewrite: Object.assign(sub, { upstreamCa: [upstreamCa.certPem] }),
      ca,
    });
    const a = new ProxyAgent({ uri: `http://127.0.0.1:${p.port}`, requestTls: { ca: [ca.certPem] } });
    try {
      const res = await undiciFetch(`https://127.0.0.1:${stranger.port}/x?key=${ph}`, { dispatcher: a });
      assert.equal(res.status, 502);
      assert.match(await res.text(), /upstream-certificate-rejected/);
      assert.deepEqual(stranger.seen, [], 'no request (and no secret) went to an unverified host');
    } finally {
      await a.close();
      await p.close();
      await stranger.close();
    }
  });
});
