/** Human output for `warden alerts` and `warden inspect` (the CLI prints JSON with --json). */
import { printable } from './inspect/inspect.ts';
import type { InspectResult } from './inspect/inspect.ts';
import type { Alert } from './types.ts';

/** One line per alert: time, severity, mode, detector, agent, message, evidence. Escaped. */
export function formatAlert(a: Alert): string {
  const when = new Date(a.time).toISOString();
  const count = a.count > 1 ? ` ×${a.count}` : '';
  const where = [a.task ? `task=${a.task}` : '', a.session ? `session=${a.session}` : '']
    .filter(Boolean)
    .join(' ');
  return printable(
    `${when} ${a.severity.toUpperCase().padEnd(8)} ${a.mode === 'block' ? 'BLOCK' : 'alert'} ${a.detector} agent=${a.agent}${where ? ' ' + where : ''}${count}: ${a.message} [audit ${a.evidence.auditSeqs.join(',') || '-'}]`,
  );
}

/** The `warden inspect` report: verdict, then one line per finding with its span. */
export function formatInspect(r: InspectResult): string {
  const head = `verdict: ${r.verdict} (score ${r.score}${r.truncated ? ', input truncated' : ''})`;
  const lines = r.findings.map(
    (f) => `  ${f.severity.padEnd(6)} ${f.ruleId} [${f.start}..${f.end}] ${f.excerpt}`,
  );
  return [head, ...lines].join('\n') + '\n';
}

/** Exit code for `warden inspect`: 0 clean, 1 suspicious, 2 malicious. */
export function inspectExitCode(r: InspectResult): number {
  return r.verdict === 'clean' ? 0 : r.verdict === 'suspicious' ? 1 : 2;
}
