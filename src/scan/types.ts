/** Scanner value types. Findings are values, never exceptions. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type Verdict = 'clean' | 'suspicious' | 'malicious';

/** Rule families; combination rules fire when families co-occur in one tool. */
export type RuleCategory =
  | 'instruction'
  | 'conceal'
  | 'sensitive'
  | 'exfil'
  | 'hidden'
  | 'shadow'
  | 'annotation'
  | 'name'
  | 'size'
  | 'combo';

export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  /** RFC 6901 JSON pointer into the tool definition ('' is the whole definition). */
  readonly pointer: string;
  /** Short excerpt with invisible and control characters made visible. */
  readonly excerpt: string;
  readonly message: string;
}

/** A finding as produced by a rule, with its family (dropped from the public result). */
export interface RawFinding extends Finding {
  readonly category: RuleCategory;
  /** Sub-family used by combination rules (e.g. 'precondition', 'tag'). */
  readonly tag?: string;
}

/** A tool definition as it arrives on the wire: parsed loosely, every field optional. */
export interface ToolDefinition {
  readonly name?: unknown;
  readonly title?: unknown;
  readonly description?: unknown;
  readonly inputSchema?: unknown;
  readonly outputSchema?: unknown;
  readonly annotations?: unknown;
  readonly [key: string]: unknown;
}

export interface ScanLimits {
  /** Serialized definition (UTF-8 bytes of JSON) above which `size.definition` fires. */
  readonly maxDefinitionBytes: number;
  /** A single string field above which `size.field` fires. */
  readonly maxFieldChars: number;
  /** Nesting depth of objects/arrays above which `size.depth` fires. */
  readonly maxDepth: number;
  /** Number of schema properties (all levels) above which `size.properties` fires. */
  readonly maxProperties: number;
  /** Tools in one list above which `size.tool-count` fires (list level). */
  readonly maxTools: number;
}

export const DEFAULT_LIMITS: ScanLimits = Object.freeze({
  maxDefinitionBytes: 256 * 1024,
  maxFieldChars: 10_000,
  maxDepth: 24,
  maxProperties: 2000,
  maxTools: 1000,
});

export interface ScanContext {
  /** Tool names served by OTHER servers (bare `tool` or `server.tool`), for shadowing rules. */
  readonly otherServerTools?: readonly string[];
  readonly limits?: Partial<ScanLimits>;
}

export interface ToolScanResult {
  readonly name: string;
  readonly verdict: Verdict;
  /** Sum of rule weights (each rule id counted once, at its highest severity). */
  readonly score: number;
  readonly findings: readonly Finding[];
}

/** What a definition is: MCP tools, prompts, resources and resource templates are all scanned. */
export type ItemKind = 'tool' | 'prompt' | 'resource' | 'resource-template';
export const ITEM_KINDS: readonly ItemKind[] = Object.freeze([
  'tool',
  'prompt',
  'resource',
  'resource-template',
]);

/**
 * A scan result with its kind. `name` is the definition's `name`; resources also carry their
 * `uri` and templates their `uriTemplate` (the keys they are identified and pinned by).
 */
export interface ItemScanResult extends ToolScanResult {
  readonly kind: ItemKind;
  readonly uri?: string;
  readonly uriTemplate?: string;
}
