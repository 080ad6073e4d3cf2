/**
 * The per-sandbox certificate authority for TLS interception of placeholder-bound hosts (issue 5,
 * CD-5). One ECDSA P-256 CA per sandbox, created with the sandbox: its private key is a
 * non-extractable WebCrypto key that lives only in this process's memory (never written to disk,
 * never given to the sandbox) and is dropped with the sandbox. Leaf certificates are minted per
 * bound host on first use and cached for the sandbox's lifetime.
 *
 * node:crypto cannot issue certificates; `@peculiar/x509` builds and signs them with WebCrypto
 * (docs/dependencies.md). It needs a Reflect metadata polyfill (tsyringe), loaded first and only
 * when a sandbox actually intercepts.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { randomBytes, webcrypto } from 'node:crypto';

import type * as X509Module from '@peculiar/x509';

type X509 = typeof X509Module;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3_600_000;
/** Leaves live one day; a cached leaf older than half of that is minted again. */
const LEAF_LIFETIME = 24 * HOUR;
const CA_LIFETIME = 90 * 24 * HOUR;

/** Where Debian/Ubuntu, Fedora/RHEL, Alpine and SUSE keep the system trust bundle. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
  '/etc/ssl/ca-bundle.pem',
];

let x509Module: Promise<X509> | undefined;
function loadX509(): Promise<X509> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const m = await import('@peculiar/x509');
    m.cryptoProvider.set(webcrypto as unknown as Parameters<typeof m.cryptoProvider.set>[0]);
    return m;
  })();
  return x509Module;
}

/** The system trust store as PEM certificates (the system bundle file, else Node's bundled roots). */
export function systemTrustPem(): string {
  for (const p of SYSTEM_BUNDLES) {
    try {
      const text = readFileSync(p, 'utf8');
      if (text.includes('-----BEGIN CERTIFICATE-----')) return text.endsWith('\n') ? text : `${text}\n`;
    } catch {
      // try the next location
    }
  }
  return `${rootCertificates.join('\n')}\n`;
}

export interface SandboxCa {
  /** The CA certificate (PEM): written into the sandbox and trusted there. */
  readonly certPem: string;
  /** The system trust bundle plus this CA (for SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE). */
  readonly bundlePem: string;
  /** A TLS server context presenting a leaf for `host` (DNS name or IP literal), minted once and cached. */
  contextFor(host: string): Promise<SecureContext>;
  /** Forgets the private key and the cached leaves. */
  destroy(): void;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

/** Creates a sandbox's CA: a fresh key pair (private key non-extractable) and a self-signed certificate. */
export async function createSandboxCa(sandboxId: string, now: () => number = Date.now): Promise<SandboxCa> {
  const x509 = await loadX509();
  let keys: webcrypto.CryptoKeyPair | undefined = await webcrypto.subtle.generateKey(ALG, false, [
    'sign',
    'verify',
  ]);
  const t = now();
  const name = `CN=Warden sandbox CA ${sandboxId.slice(0, 40)}, O=Warden egress proxy`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(t - HOUR),
    notAfter: new Date(t + CA_LIFETIME),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = ca.toString('pem') + '\n';
  const leaves = new Map<string, { at: number; ctx: Promise<SecureContext> }>();

  const mint = async (host: string): Promise<SecureContext> => {
    if (keys === undefined) throw new Error('sandbox CA destroyed');
    const leafKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const at = now();
    const ip = isIP(host) !== 0;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: ip ? 'CN=warden-intercepted' : `CN=${host}`,
      issuer: ca.subject,
      notBefore: new Date(at - HOUR),
      notAfter: new Date(at + LEAF_LIFETIME),
      signingKey: keys.privateKey,
      publicKey: leafKeys.publicKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: ip ? 'ip' : 'dns', value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
    return createSecureContext({
      cert: leaf.toString('pem') + '\n' + certPem,
      key: keyPem,
      minVersion: 'TLSv1.2',
    });
  };

  return {
    certPem,
    bundlePem: systemTrustPem() + certPem,
    contextFor(host) {
      const key = host.toLowerCase();
      const hit = leaves.get(key);
      if (hit !== undefined && now() - hit.at < LEAF_LIFETIME / 2) return hit.ctx;
      const ctx = mint(key);
      leaves.set(key, { at: now(), ctx });
      ctx.catch(() => leaves.delete(key));
      return ctx;
    },
    destroy() {
      keys = undefined;
      leaves.clear();
    },
  };
}
