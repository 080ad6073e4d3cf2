import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createSandboxCa, systemTrustPem } from '../../../src/sandbox/index.ts';

describe('per-sandbox interception CA', () => {
  it('is an ECDSA P-256 CA whose certificate carries no key material', async () => {
    const ca = await createSandboxCa('sbx-unit');
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(cert.subject, /Warden sandbox CA sbx-unit/);
    assert.doesNotMatch(ca.certPem + ca.bundlePem, /PRIVATE KEY/);
    assert.ok(ca.bundlePem.startsWith(systemTrustPem()) && ca.bundlePem.endsWith(ca.certPem));
    ca.destroy();
  });

  it('mints one cached leaf per host (DNS name or IP), signed by the CA and valid only for that host', async () => {
    const ca = await createSandboxCa('sbx-unit-2');
    const caCert = new X509Certificate(ca.certPem);
    const a = await ca.contextFor('api.example.com');
    assert.equal(await ca.contextFor('API.example.com'), a, 'cached per host');
    const b = await ca.contextFor('127.0.0.1');
    assert.notEqual(a, b);
    // a context's certificate is not exposed by Node; mint through a TLS handshake instead
    const { createServer, connect } = await import('node:tls');
    const leafOf = (ctx: typeof a, servername?: string): Promise<X509Certificate> =>
      new Promise((resolve, reject) => {
        const srv = createServer({ SNICallback: (_n, cb) => cb(null, ctx) }, (s) => s.end());
        srv.listen(0, '127.0.0.1', () => {
          const port = (srv.address() as { port: number }).port;
          const c = connect(
            { port, host: '127.0.0.1', servername: servername ?? 'x.invalid', rejectUnauthorized: false },
            () => {
              const der = c.getPeerX509Certificate();
              c.destroy();
              srv.close();
              if (der === undefined) reject(new Error('no certificate'));
              else resolve(der);
            },
          );
          c.on('error', reject);
        });
      });
    const leaf = await leafOf(a, 'api.example.com');
    assert.ok(leaf.verify(caCert.publicKey), 'signed by the sandbox CA');
    assert.equal(leaf.ca, false);
    assert.equal(leaf.checkHost('api.example.com'), 'api.example.com');
    assert.equal(leaf.checkHost('evil.example.com'), undefined);
    const ipLeaf = await leafOf(b);
    assert.equal(ipLeaf.checkIP('127.0.0.1'), '127.0.0.1');
    ca.destroy();
    await assert.rejects(ca.contextFor('new.example.com'), /destroyed/);
  });
});
