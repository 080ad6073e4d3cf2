/** SARIF 2.1.0 output for code-scanning pipelines (`warden scan --sarif`). */
import type { ItemKind, Severity, ToolScanResult } from './types.ts';

/** A tool result, or a prompt/resource/template result (`kind`, and `uri`/`uriTemplate`). */
type Result = ToolScanResult & {
  readonly kind?: ItemKind;
  readonly uri?: string;
  readonly uriTemplate?: string;
};

const LEVEL: Record<Severity, 'note' | 'warning' | 'error'> = {
  low: 'note',
  medium: 'warning',
  high: 'error',
  critical: 'error',
};
const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The highest severity among all findings, or null when there are none. */
export function maxSeverity(results: readonly ToolScanResult[]): Severity | null {
  let best: Severity | null = null;
  for (const r of results)
    for (const f of r.findings) if (best === null || RANK[f.severity] > RANK[best]) best = f.severity;
  return best;
}

/** True when any finding is at or above `min` (for the CLI's exit code). */
export function hasFindingAtLeast(results: readonly ToolScanResult[], min: Severity): boolean {
  const m = maxSeverity(results);
  return m !== null && RANK[m] >= RANK[min];
}

export interface SarifOptions {
  /** The scanned file or server, e.g. 'tools.json' or 'mcp://filesystem'. */
  readonly uri: string;
  readonly toolVersion?: string;
}

export function toSarif(results: readonly Result[], opts: SarifOptions): Record<string, unknown> {
  const ruleIds = [...new Set(results.flatMap((r) => r.findings.map((f) => f.ruleId)))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'warden-scan',
            ...(opts.toolVersion ? { version: opts.toolVersion } : {}),
            rules: ruleIds.map((id) => ({ id, shortDescription: { text: id } })),
          },
        },
        results: results.flatMap((r) => {
          // Tools and prompts are named by name, resources by URI, templates by URI template.
          const id = r.uri ?? r.uriTemplate ?? r.name;
          const label = r.kind === undefined || r.kind === 'tool' ? id : `${r.kind} ${id}`;
          return r.findings.map((f) => ({
            ruleId: f.ruleId,
            level: LEVEL[f.severity],
            message: { text: `${label}: ${f.message} — ${f.excerpt}` },
            locations: [
              {
                physicalLocation: { artifactLocation: { uri: opts.uri } },
                logicalLocations: [{ name: id, fullyQualifiedName: `${id}${f.pointer}`, kind: 'object' }],
              },
            ],
            properties: {
              severity: f.severity,
              pointer: f.pointer,
              verdict: r.verdict,
              ...(r.kind === undefined ? {} : { kind: r.kind }),
            },
          }));
        }),
      },
    ],
  };
}
