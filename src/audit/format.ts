/**
 * One-line human rendering of a record for `warden audit tail/show`. Every value passes
 * `safeText`, so CR/LF, ANSI escapes and bidi controls in tool names or arguments cannot forge
 * lines or repaint the terminal (AU-4).
 */
import { wellFormed } from './record.ts';
import type { AuditRecord, VerifyResult } from './types.ts';

// C0, DEL, C1, line/paragraph separators, bidi embeddings/overrides/isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Escapes characters that could control a terminal or break a line as `\u{XX}`. */
export function safeText(s: string, max = 200): string {
  const cut = s.length > max ? wellFormed(s.slice(0, max)) + '…' : wellFormed(s);
  return cut.replace(UNSAFE, (c: string) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

export function formatRecord(r: AuditRecord): string {
  const parts: string[] = [`#${r.seq}`, new Date(r.time).toISOString(), safeText(r.kind, 40)];
  if (r.principal !== undefined) parts.push(`principal=${safeText(r.principal, 80)}`);
  if (r.method !== undefined) parts.push(safeText(r.method, 60));
  if (r.server !== undefined || r.tool !== undefined) {
    parts.push(`${safeText(r.server ?? '-', 60)}.${safeText(r.tool ?? '-', 80)}`);
  }
  if (r.decision !== undefined) {
    const ids =
      r.policyIds !== undefined && r.policyIds.length > 0
        ? ` [${r.policyIds.map((p) => safeText(p, 60)).join(',')}]`
        : '';
    parts.push(`${r.decision}${ids}`);
  }
  if (r.outcome !== undefined)
    parts.push(`outcome=${r.outcome}${r.errorCode === undefined ? '' : `(${safeText(r.errorCode, 40)})`}`);
  if (r.durationMs !== undefined) parts.push(`${Math.round(r.durationMs * 10) / 10}ms`);
  if (r.resultBytes !== undefined) parts.push(`${r.resultBytes}B`);
  if (r.traceId !== undefined) parts.push(`trace=${safeText(r.traceId, 40)}`);
  parts.push(`hash=${r.hash.slice(0, 12)}`);
  return parts.join(' ');
}

/** The one-line summary `warden audit verify` prints (exit status: r.ok ? 0 : 1). */
export function formatVerifyResult(r: VerifyResult): string {
  const warn =
    r.warnings.length === 0
      ? ''
      : `; ${r.warnings.length} warning(s), first at #${r.warnings[0]!.seq}: ${r.warnings[0]!.reason}`;
  if (r.ok) {
    return `ok: ${r.records} records, head ${r.head.slice(0, 16)}…, ${r.checkpoints} signed checkpoint(s) matched${warn}`;
  }
  return `FAILED at #${r.seq} (${r.code}): ${safeText(r.reason, 300)}; ${r.records} records verified before it${warn}`;
}
