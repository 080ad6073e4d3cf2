/**
 * The tool-definition scanner (issue 6 part 1; TP-1..TP-5, SH-2, SH-3, SH-5). Pure: no I/O.
 */
import { addCombos, bump, verdictOf } from './verdict.ts';
import { collectFields, parameterNames } from './walk.ts';
import type { Field, WalkStats } from './walk.ts';
import { excerptAround, identifierToWords, normalizeForMatch } from './text.ts';
import { TEXT_RULES } from './rules/text-rules.ts';
import { unicodeFindings } from './rules/unicode-rules.ts';
import { secretFlowFindings, sideFlowFindings } from './rules/flow-rules.ts';
import {
  annotationFindings,
  collisionFindings,
  fillParameterFindings,
  keyFindings,
  nameFindings,
  parameterNameFindings,
  shadowFindings,
  sizeFindings,
} from './rules/tool-rules.ts';
import { DEFAULT_LIMITS } from './types.ts';
import type { Finding, RawFinding, ScanContext, ScanLimits, ToolScanResult } from './types.ts';

/** Text rules see at most this many characters per field (size rules flag longer ones). */
const MAX_MATCH_CHARS = 64 * 1024;

function textFindings(f: Field, emit: (x: RawFinding) => void): void {
  const identifier = f.role === 'property-name' || f.role === 'key' || f.role === 'name';
  const raw = f.text.length > MAX_MATCH_CHARS ? f.text.slice(0, MAX_MATCH_CHARS) : f.text;
  const t = identifier ? identifierToWords(normalizeForMatch(raw)) : normalizeForMatch(raw);
  for (const rule of TEXT_RULES) {
    const m = rule.re.exec(t);
    if (m === null || rule.unless?.test(t.slice(Math.max(0, m.index - 40), m.index + m[0].length))) continue;
    const hidden = f.role === 'hidden';
    emit({
      ruleId: rule.id,
      category: rule.category,
      severity: hidden ? bump(rule.severity) : rule.severity,
      pointer: f.pointer,
      excerpt: excerptAround(t, m.index, m.index + m[0].length),
      message: hidden ? `${rule.message} (in hidden text)` : rule.message,
      ...(hidden ? { tag: 'from-hidden' } : rule.tag ? { tag: rule.tag } : {}),
    });
  }
}

function dedupe(findings: RawFinding[]): RawFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.ruleId}\u0000${f.pointer}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function publicFinding(f: RawFinding): Finding {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    pointer: f.pointer,
    excerpt: f.excerpt,
    message: f.message,
  };
}

function definitionBytes(def: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(def) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** How one kind of definition is scanned (tools, prompts, resources, resource templates). */
export interface DefinitionShape {
  /** What the definition is called in messages ('tool', 'prompt', …). */
  readonly noun: string;
  /** Apply the tool-name rule (1–128 of [A-Za-z0-9_.-]) to `name`: things an agent invokes by name. */
  readonly invokedByName: boolean;
  /** Look-alike names of other servers' tools (SH-3): only within the tool namespace. */
  readonly toolCollisions: boolean;
  /** Title/annotation rules (TP-4, SH-5): for definitions with a name that says what they do. */
  readonly annotationRules: boolean;
  /** Parameter names of the definition (tool input schema, prompt arguments, template variables). */
  readonly parameters: (def: Record<string, unknown>) => string[];
  /** Pointers of identifier fields that are parameter names (prompt argument names). */
  readonly parameterPointer?: RegExp;
}

const TOOL_SHAPE: DefinitionShape = {
  noun: 'tool',
  invokedByName: true,
  toolCollisions: true,
  annotationRules: true,
  parameters: parameterNames,
};

/** Scans one definition of the given shape (as received on the wire; every field is untrusted). */
export function scanDefinition(def: unknown, shape: DefinitionShape, ctx: ScanContext = {}): ToolScanResult {
  const limits: ScanLimits = { ...DEFAULT_LIMITS, ...ctx.limits };
  const obj =
    def !== null && typeof def === 'object' && !Array.isArray(def) ? (def as Record<string, unknown>) : {};
  const name = typeof obj['name'] === 'string' ? obj['name'] : '';
  const found: RawFinding[] = [];
  const emit = (f: RawFinding): void => void found.push(f);
  if (obj !== def) {
    emit({
      ruleId: 'name.invalid',
      category: 'name',
      severity: 'high',
      pointer: '',
      excerpt: typeof def,
      message: `${shape.noun} definition is not an object`,
    });
  }
  const stats: WalkStats = { maxDepth: 0, properties: 0 };
  const paramPtr = shape.parameterPointer;
  const fields = collectFields(obj, stats).map((f): Field =>
    paramPtr !== undefined && paramPtr.test(f.pointer) ? { ...f, role: 'property-name' } : f,
  );
  const hidden: Field[] = [];
  for (const f of fields) {
    found.push(...unicodeFindings(f, hidden));
    textFindings(f, emit);
  }
  for (const h of hidden) textFindings(h, emit);
  const texts = [...fields.filter((f) => f.role !== 'property-name' && f.role !== 'key'), ...hidden];
  if (shape.invokedByName)
    nameFindings(name, (f) =>
      emit(
        shape.noun === 'tool' ? f : { ...f, message: f.message.replace(/^tool name/, `${shape.noun} name`) },
      ),
    );
  parameterNameFindings(fields, emit);
  keyFindings(fields, emit);
  secretFlowFindings(texts, emit);
  sideFlowFindings(texts, emit);
  const propertyNames = [
    ...new Set([
      ...shape.parameters(obj),
      ...fields.filter((f) => f.role === 'property-name').map((f) => f.text),
    ]),
  ];
  fillParameterFindings(texts, propertyNames, emit);
  const others = ctx.otherServerTools ?? [];
  shadowFindings(texts, name, others, emit);
  if (shape.toolCollisions && others.length > 0 && name !== '') collisionFindings(name, others, emit);
  if (shape.annotationRules) annotationFindings(obj, name, emit);
  sizeFindings(fields, definitionBytes(def), stats, limits, emit);
  const all = addCombos(dedupe(found));
  const { verdict, score } = verdictOf(all);
  return { name, verdict, score, findings: all.map(publicFinding) };
}

/** Scans one tool definition (as received on the wire; every field is untrusted). */
export function scanTool(def: unknown, ctx: ScanContext = {}): ToolScanResult {
  return scanDefinition(def, TOOL_SHAPE, ctx);
}

/**
 * Scans a server's tool list. Collisions inside the list are reported on the later tool;
 * `ctx.otherServerTools` lists the tools of the OTHER servers.
 */
export function scanTools(defs: readonly unknown[], ctx: ScanContext = {}): ToolScanResult[] {
  return defs.map((d) => scanTool(d, ctx));
}
