import type { GatewayConfig } from '../config/index.ts';
import { isLoopbackHost } from '../config/index.ts';

/**
 * The Host header values the gateway answers to (DNS rebinding protection, THREATS SE-6):
 * the listen address and loopback names with the actual port, plus configured extras.
 * A request with any other Host is refused with 403 whether or not it carries an Origin.
 */
export function allowedHostSet(g: GatewayConfig, port: number): Set<string> {
  const hosts = new Set<string>();
  const add = (h: string): void => {
    hosts.add(`${h}:${port}`.toLowerCase());
    if (port === 80) hosts.add(h.toLowerCase());
  };
  if (isLoopbackHost(g.host)) for (const h of ['127.0.0.1', 'localhost', '[::1]']) add(h);
  add(g.host.includes(':') ? `[${g.host}]` : g.host);
  try {
    hosts.add(new URL(g.publicUrl).host.toLowerCase());
  } catch {
    // schema guarantees a URL
  }
  for (const h of g.allowedHosts) hosts.add(h.toLowerCase());
  return hosts;
}

/** An absent Origin is a non-browser client (its Host was already checked); a present one must be allowed. */
export function checkOrigin(
  origin: string | undefined,
  allowedOrigins: readonly string[],
  hosts: Set<string>,
): boolean {
  if (origin === undefined) return true;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  if (allowedOrigins.some((o) => new URL(o).origin === u.origin)) return true;
  // Same origin as the gateway itself (a page it serves, e.g. the dashboard).
  return (u.protocol === 'http:' || u.protocol === 'https:') && hosts.has(u.host.toLowerCase());
}
