/**
 * The decision chain of a task or session, from audit records: ordered by trace/span tree and
 * sequence, rendered as a terminal timeline (`warden trace`) or JSON (`--json`). Structurally
 * compatible with the audit log's records: the CLI passes what it read from the audit log.
 */
import { printable } from './inspect/inspect.ts';
import type { MonitorEvent } from './types.ts';

/** The audit record fields the monitor reads (a subset of the audit module's AuditRecord). */
export interface TraceRecord {
  readonly seq: number;
  readonly kind: string;
  readonly time: number;
  readonly principal?: string;
  readonly session?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly parentSpanId?: string;
  readonly method?: string;
  readonly server?: string;
  readonly tool?: string;
  readonly args?: unknown;
  readonly decision?: 'allow' | 'deny';
  readonly policyIds?: readonly string[];
  readonly reasons?: readonly string[];
  readonly outcome?: 'ok' | 'error' | 'denied' | 'timeout';
  readonly errorCode?: string;
  readonly durationMs?: number;
  readonly resultBytes?: number;
  readonly taskId?: string;
  readonly actors?: readonly string[];
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface TimelineEntry {
  readonly seq: number;
  readonly depth: number;
  readonly record: TraceRecord;
}

/** Builds a MonitorEvent from an audit record (principal → agent, taskId → task). */
export function monitorEventFromRecord(r: TraceRecord, extra: Partial<MonitorEvent> = {}): MonitorEvent {
  return {
    seq: r.seq,
    time: r.time,
    agent: r.principal ?? 'unknown',
    session: r.session,
    task: r.taskId,
    traceId: r.traceId,
    spanId: r.spanId,
    parentSpanId: r.parentSpanId,
    method: r.method ?? r.kind,
    server: r.server,
    tool: r.tool,
    args:
      r.args !== null && typeof r.args === 'object' && !Array.isArray(r.args)
        ? (r.args as Record<string, unknown>)
        : undefined,
    decision: r.decision,
    outcome: r.outcome,
    durationMs: r.durationMs,
    resultBytes: r.resultBytes,
    ...extra,
  };
}

/** Orders records as a tree: children (by parentSpanId) under their parent, siblings by seq. */
export function buildTimeline(records: readonly TraceRecord[]): TimelineEntry[] {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const bySpan = new Map<string, TraceRecord>();
  for (const r of sorted) if (r.spanId && !bySpan.has(r.spanId)) bySpan.set(r.spanId, r);
  const children = new Map<string, TraceRecord[]>();
  const roots: TraceRecord[] = [];
  for (const r of sorted) {
    const parent = r.parentSpanId ? bySpan.get(r.parentSpanId) : undefined;
    if (parent && parent !== r && parent.spanId) {
      const list = children.get(parent.spanId) ?? [];
      list.push(r);
      children.set(parent.spanId, list);
    } else roots.push(r);
  }
  const out: TimelineEntry[] = [];
  const seen = new Set<number>();
  const visit = (r: TraceRecord, depth: number): void => {
    if (seen.has(r.seq)) return;
    seen.add(r.seq);
    out.push({ seq: r.seq, depth, record: r });
    // records sharing the span (decided → completed) follow at the same depth
    if (r.spanId && bySpan.get(r.spanId) === r) {
      for (const same of sorted)
        if (same !== r && same.spanId === r.spanId && !children.get(r.spanId)?.includes(same))
          visit(same, depth);
      for (const c of children.get(r.spanId) ?? []) visit(c, Math.min(depth + 1, 8));
    }
  };
  for (const r of roots) visit(r, 0);
  return out;
}

/** A terminal timeline: time, who, what, decision and policies, outcome, duration. Escaped. */
export function renderTimeline(entries: readonly TimelineEntry[], opts: { maxArgs?: number } = {}): string {
  const maxArgs = opts.maxArgs ?? 120;
  if (entries.length === 0) return '(no events)\n';
  const t0 = entries.reduce((m, e) => Math.min(m, e.record.time), Infinity);
  const lines = entries.map(({ depth, record: r }) => {
    const at = `+${((r.time - t0) / 1000).toFixed(3)}s`.padStart(10);
    const who = r.actors && r.actors.length > 0 ? r.actors.join('→') : (r.principal ?? '-');
    const what = [r.method, r.server && r.tool ? `${r.server}/${r.tool}` : r.tool].filter(Boolean).join(' ');
    const args = r.args !== undefined ? ' ' + clip(JSON.stringify(r.args) ?? '', maxArgs) : '';
    const decision = r.decision
      ? ` ${r.decision.toUpperCase()}${r.policyIds?.length ? ` by ${r.policyIds.join(',')}` : ''}`
      : '';
    const reasons = r.reasons?.length ? ` (${clip(r.reasons.join('; '), 80)})` : '';
    const outcome = r.outcome ? ` → ${r.outcome}${r.errorCode ? ` ${r.errorCode}` : ''}` : '';
    const size = typeof r.resultBytes === 'number' ? ` ${r.resultBytes}B` : '';
    const dur = typeof r.durationMs === 'number' ? ` ${r.durationMs}ms` : '';
    return printable(
      `#${r.seq} ${at} ${'  '.repeat(depth)}${r.kind} ${who} ${what}${args}${decision}${reasons}${outcome}${size}${dur}${alertNote(r)}`,
    );
  });
  return lines.join('\n') + '\n';
}

/** For a `monitor.alert` record: detector, mode, message and evidence. */
function alertNote(r: TraceRecord): string {
  const d = r.data;
  if (r.kind !== 'monitor.alert' || d === undefined) return '';
  const evidence = Array.isArray(d.evidence) ? ` [audit ${d.evidence.join(',')}]` : '';
  return ` ${String(d.severity)} ${String(d.detector)} ${d.mode === 'block' ? 'BLOCK' : 'alert'}: ${clip(String(d.message), 160)}${evidence}`;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
