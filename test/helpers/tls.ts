/**
 * Real loopback HTTPS test hosts: a test CA (ECDSA P-256, made with @peculiar/x509 like Warden's
 * sandbox CA) and servers on 127.0.0.1 presenting a certificate it signed for that IP.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, X509Certificate, webcrypto } from 'node:crypto';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCa {
  readonly certPem: string;
  /** A certificate and key (PEM) for 127.0.0.1 signed by this CA. */
  issue(ip: string): Promise<{ cert: string; key: string; sha256: string }>;
}

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

export async function createTestCa(name = 'Warden test upstream CA'): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey(ALG, false, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  let serial = 1;
  return {
    certPem: ca.toString('pem') + '\n',
    async issue(ip) {
      const leafKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: (++serial).toString(16).padStart(2, '0'),
        subject: `CN=${ip}`,
        issuer: ca.subject,
        notBefore: new Date(Date.now() - DAY),
        notAfter: new Date(Date.now() + DAY),
        signingKey: keys.privateKey,
        publicKey: leafKeys.publicKey,
        signingAlgorithm: ALG,
        extensions: [
          new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: ip }]),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        ],
      });
      const cert = leaf.toString('pem') + '\n';
      const sha256 = new X509Certificate(cert).fingerprint256;
      return { cert, key: pemKey(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)), sha256 };
    },
  };
}

export interface HttpsHost {
  readonly server: Server;
  readonly port: number;
  /** Each request as `METHOD url\nheaders-json\nbody`. */
  readonly seen: string[];
  /** SHA-256 fingerprint of the certificate this host presents (colon-separated hex, as Node prints it). */
  readonly sha256: string;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 recording every request; `respond` writes the answer. */
export async function startHttpsHost(
  ca: TestCa,
  respond: (req: IncomingMessage, body: string, res: ServerResponse) => void = (_q, _b, res) =>
    void res.end('ok'),
): Promise<HttpsHost> {
  const { cert, key, sha256 } = await ca.issue('127.0.0.1');
  const seen: string[] = [];
  const server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${body}`);
      respond(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    seen,
    sha256,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Hex SHA-256 of a PEM certificate's DER, colon-separated upper case (Node's fingerprint256 format). */
export function fingerprintOf(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return (createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g) ?? []).join(':');
}
