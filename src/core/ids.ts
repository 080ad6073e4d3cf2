import { randomBytes, randomFillSync, randomUUID } from 'node:crypto';

/** A random identifier with at least 128 bits from the CSPRNG, URL-safe, visible ASCII only. */
export function newId(prefix = ''): string {
  return prefix + randomBytes(16).toString('base64url');
}

/** A session id: 128+ bits, visible ASCII 0x21–0x7E (MCP transports spec). */
export function newSessionId(): string {
  return randomUUID() + '-' + randomBytes(8).toString('hex');
}

/** W3C trace-context ids. */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Span ids are drawn from a pooled CSPRNG buffer (one fill per 512 ids): a span id needs
 * uniqueness, not secrecy, and one is made per call on the hot path.
 */
const spanPool = Buffer.alloc(4096);
let spanAt = spanPool.length;

export function newSpanId(): string {
  if (spanAt + 8 > spanPool.length) {
    randomFillSync(spanPool);
    spanAt = 0;
  }
  const id = spanPool.toString('hex', spanAt, spanAt + 8);
  spanAt += 8;
  return id;
}
