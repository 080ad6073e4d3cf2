import { randomBytes, randomUUID } from 'node:crypto';

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

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}
