import { collisionKeys, validateToolName } from '../scan/index.ts';
import type { Logger } from '../core/index.ts';

/** A tool, prompt or resource as an agent sees it through the gateway. */
export interface ExposedTool {
  /** `server.tool` (or the bare name for a server with `prefix: false`): the name agents call. */
  readonly exposed: string;
  readonly server: string;
  /** The upstream's own name. */
  readonly name: string;
  /** The upstream definition with `name` replaced by `exposed`. */
  readonly def: Readonly<Record<string, unknown>>;
}

export interface Rejected {
  readonly server: string;
  readonly name: string;
  readonly reason: string;
}

/**
 * Builds collision-free exposed names `server.name` for one kind of item across servers
 * (THREATS SH-1, SH-3): names outside the MCP tool-name rules are rejected, and when two exposed
 * names collide exactly, by case or by confusable skeleton, every later one is rejected; the
 * first (in configuration order) wins, so a new server cannot take over an existing name.
 */
const RESERVED_KEYS = collisionKeys('warden.');

/** Whether an exposed name falls in the gateway's own `warden.` namespace (any case or confusable). */
export function inReservedNamespace(exposed: string): boolean {
  return collisionKeys(exposed).some((k, i) => k.startsWith(RESERVED_KEYS[i]!));
}

export function exposeNamed(
  perServer: readonly { server: string; prefix: boolean; items: readonly Record<string, unknown>[] }[],
  logger: Logger,
  kind: 'tool' | 'prompt',
): { exposed: ExposedTool[]; rejected: Rejected[] } {
  const exposed: ExposedTool[] = [];
  const rejected: Rejected[] = [];
  const bySkeleton = new Map<string, string>();
  for (const { server, prefix, items } of perServer) {
    for (const item of items) {
      const name = item.name;
      if (typeof name !== 'string') {
        rejected.push({ server, name: String(name), reason: `${kind} without a string name` });
        continue;
      }
      const full = prefix ? `${server}.${name}` : name;
      const valid = validateToolName(full);
      if (!valid.ok) {
        rejected.push({ server, name, reason: valid.message });
        continue;
      }
      if (inReservedNamespace(full)) {
        // `warden.*` belongs to the gateway's built-in tools (warden.delegate): an upstream
        // with `prefix: false` must not shadow one, not even with a case or confusable variant.
        rejected.push({ server, name, reason: `${kind} name ${full} is in the reserved warden. namespace` });
        continue;
      }
      // Both keys: the case-folded skeleton and the case-preserving visual one (paypaI ~ paypal).
      const keys = collisionKeys(full).map((k, i) => `${i}\u0000${k}`);
      const other = keys.map((k) => bySkeleton.get(k)).find((o) => o !== undefined);
      if (other !== undefined) {
        const why =
          other === full ? 'exact' : other.toLowerCase() === full.toLowerCase() ? 'case' : 'confusable';
        rejected.push({ server, name, reason: `${kind} name ${full} collides with ${other} (${why})` });
        continue;
      }
      for (const k of keys) bySkeleton.set(k, full);
      exposed.push({ exposed: full, server, name, def: { ...item, name: full } });
    }
  }
  for (const r of rejected) logger.warn(`rejected a ${kind} name`, { server: r.server, reason: r.reason });
  return { exposed, rejected };
}
