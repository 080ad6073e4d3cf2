/** Shared set-up for identity integration tests: a real store with the identity services. */
import { randomBytes, webcrypto } from 'node:crypto';
import type { Clock } from '../../../src/core/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { createIdentity, parseGrant } from '../../../src/identity/index.ts';
import type { Grant, Identity, IdentityConfig } from '../../../src/identity/index.ts';
import type { storeFixtures } from '../../helpers/stores.ts';

export const ISSUER = 'http://127.0.0.1:7420';
export const RESOURCE = 'http://127.0.0.1:7420/mcp';

export type Fixture = Awaited<ReturnType<typeof storeFixtures>>[number];

export async function withIdentity(
  f: Fixture,
  fn: (id: Identity, ctx: { store: Store; reopen: () => Promise<Store>; kek: Buffer }) => Promise<void>,
  over: Partial<IdentityConfig> & { clock?: Clock } = {},
): Promise<void> {
  const { store, reopen, cleanup } = await f.open();
  const kek = randomBytes(32);
  try {
    const id = await createIdentity(store, {
      issuer: ISSUER,
      resource: RESOURCE,
      kek,
      allowApiKeys: false,
      ...over,
    });
    await fn(id, { store, reopen, kek });
  } finally {
    await cleanup();
  }
}

export function grant(
  tools: Record<string, string[]>,
  args?: Grant['args'],
  expiresAt = Date.now() + 3_600_000,
): Grant {
  return parseGrant({
    id: `g${randomBytes(4).toString('hex')}`,
    tools,
    ...(args ? { args } : {}),
    expiresAt,
  });
}

/** Polls until `probe` is true or the deadline passes (no timed assertion). */
export async function eventually(probe: () => Promise<boolean>, deadlineMs = 1000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');

/** Signs arbitrary header/payload bytes with a real ES256 key (to build attack tokens). */
export async function forge(
  key: webcrypto.CryptoKey,
  header: object | string,
  payload: object | string,
): Promise<string> {
  const h = b64(typeof header === 'string' ? header : JSON.stringify(header));
  const p = b64(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(`${h}.${p}`));
  return `${h}.${p}.${b64(new Uint8Array(sig))}`;
}

export function rejectsWith(code: string) {
  return (e: unknown): boolean => {
    if (!(e instanceof Error) || (e as { code?: string }).code !== code) {
      throw new Error(
        `expected ${code}, got ${(e as { code?: string }).code ?? String(e)}: ${(e as Error).message}`,
      );
    }
    return true;
  };
}
