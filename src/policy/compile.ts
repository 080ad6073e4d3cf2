/**
 * Turns policy files into a validated, immutable policy set: split, parse (one policy at a time,
 * so every diagnostic names its file, line and column), assign ids, validate against the Warden
 * schema, and hash to a version. Throws PolicyError('ERR_POLICY_INVALID') on any problem.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/index.ts';
import type { DetailedError, PolicyJson } from './cedar.ts';
import { policyToJson, validatePolicies } from './cedar.ts';
import { wardenSchema } from './cedar-schema.ts';
import { isExpectedImpossible, isWaived, validateGuarded } from './open-args.ts';
import { PolicyError } from './errors.ts';
import type { PolicySource } from './source.ts';
import { byteToCharOffset, codeStart, positionAt, splitPolicies } from './source.ts';

export interface CompiledPolicy {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
  /** File position of `text[0]` (the policy text starts with the comments before it). */
  readonly textLine: number;
  readonly textColumn: number;
  readonly effect: 'permit' | 'forbid';
  /** The `@reason("…")` annotation, shown to the client when this policy decides a denial. */
  readonly reason: string | undefined;
  readonly json: PolicyJson;
}

export interface CompiledSet {
  readonly policies: readonly CompiledPolicy[];
  readonly byId: ReadonlyMap<string, CompiledPolicy>;
  /** `sha256:<hex>` of the canonical JSON of the policies (comments and layout do not count). */
  readonly version: string;
  /** Validator warnings, already located (`file:line:col: message`). */
  readonly warnings: readonly string[];
}

/** Reported when no policy permits a request; reserved as a policy id. */
export const DEFAULT_DENY_ID = 'default-deny';

const ID_PATTERN = /^[A-Za-z0-9_.:/#-]{1,128}$/;

export function compilePolicySet(files: Readonly<Record<string, string>>): CompiledSet {
  const diagnostics: string[] = [];
  const parsed: { src: PolicySource; json: PolicyJson; content: string }[] = [];
  for (const file of Object.keys(files).sort()) {
    const content = files[file]!;
    for (const src of splitPolicies(file, content)) {
      const r = policyToJson(src.text);
      if (r.type === 'failure') diagnostics.push(...r.errors.map((e) => locate(content, src, e)));
      else parsed.push({ src, json: r.json, content });
    }
  }
  if (diagnostics.length > 0) throw invalid(diagnostics);
  const policies = assignIds(parsed, diagnostics);
  if (diagnostics.length > 0) throw invalid(diagnostics);
  const warnings = validate(policies, parsed, diagnostics);
  if (diagnostics.length > 0) throw invalid(diagnostics);
  return {
    policies,
    byId: new Map(policies.map((p) => [p.id, p])),
    version: versionOf(policies),
    warnings,
  };
}

function assignIds(
  parsed: readonly { src: PolicySource; json: PolicyJson; content: string }[],
  diagnostics: string[],
): CompiledPolicy[] {
  const seen = new Map<string, string>();
  return parsed.map(({ src, json, content }) => {
    const pos = positionAt(content, src.offset + codeStart(src.text));
    const textPos = positionAt(content, src.offset);
    const where = `${src.file}:${pos.line}:${pos.column}`;
    const annotated = json.annotations?.['id'];
    const id = annotated ?? `${src.file}#${src.index}`;
    if (annotated !== undefined && !ID_PATTERN.test(annotated)) {
      diagnostics.push(`${where}: @id must match ${String(ID_PATTERN)}`);
    }
    if (annotated === DEFAULT_DENY_ID) diagnostics.push(`${where}: @id "${DEFAULT_DENY_ID}" is reserved`);
    const previous = seen.get(id);
    if (previous !== undefined)
      diagnostics.push(`${where}: duplicate policy id "${id}" (first at ${previous})`);
    seen.set(id, where);
    return {
      id,
      file: src.file,
      line: pos.line,
      column: pos.column,
      text: src.text,
      textLine: textPos.line,
      textColumn: textPos.column,
      effect: json.effect,
      reason: json.annotations?.['reason'],
      json,
    };
  });
}

function validate(
  policies: readonly CompiledPolicy[],
  parsed: readonly { src: PolicySource; content: string }[],
  diagnostics: string[],
): string[] {
  if (policies.length === 0) return [];
  const byId = new Map(policies.map((p, i) => [p.id, parsed[i]!]));
  const r = validatePolicies(wardenSchema(), Object.fromEntries(policies.map((p) => [p.id, p.text])));
  if (r.type === 'failure') {
    diagnostics.push(...r.errors.map((e) => `validation failed: ${describe(e)}`));
    return [];
  }
  const where = (policyId: string, e: DetailedError): string => {
    const p = byId.get(policyId);
    return p === undefined ? `policy ${policyId}: ${describe(e)}` : locate(p.content, p.src, e);
  };
  const failed = new Set<string>();
  for (const v of r.validationErrors) {
    const p = byId.get(v.policyId);
    if (p !== undefined && isWaived(p.src.text, v.error)) continue;
    failed.add(v.policyId);
    diagnostics.push(where(v.policyId, v.error));
  }
  const guarded = validateGuarded(policies.filter((p) => !failed.has(p.id))).map(
    (g) => `${g.policy.file}:${g.policy.line}:${g.policy.column}: ${describe(g.error)}`,
  );
  diagnostics.push(...new Set(guarded));
  return [
    ...r.validationWarnings
      .filter((w) => !isExpectedImpossible(byId.get(w.policyId)?.src.text, w.error))
      .map((w) => where(w.policyId, w.error)),
    ...r.otherWarnings.map((w) => describe(w)),
  ];
}

export function describe(e: DetailedError): string {
  const msg = e.message.replace(/^for policy `[^`]*`, /, '');
  return e.help ? `${msg} (${e.help})` : msg;
}

function locate(content: string, src: PolicySource, e: DetailedError): string {
  const loc = e.sourceLocations?.[0];
  const offset = src.offset + (loc ? byteToCharOffset(src.text, loc.start) : codeStart(src.text));
  const pos = positionAt(content, offset);
  return `${src.file}:${pos.line}:${pos.column}: ${describe(e)}`;
}

function invalid(diagnostics: readonly string[]): PolicyError {
  return new PolicyError('ERR_POLICY_INVALID', `invalid policy set:\n  ${diagnostics.join('\n  ')}`, {
    diagnostics: [...diagnostics],
  });
}

function versionOf(policies: readonly CompiledPolicy[]): string {
  const canonical = canonicalJson(
    [...policies].sort((a, b) => (a.id < b.id ? -1 : 1)).map((p) => ({ id: p.id, policy: p.json })),
  );
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** `file:line:col` of a Cedar byte offset inside a compiled policy's text. */
export function locateInPolicy(p: CompiledPolicy, byteOffset: number | undefined): string {
  if (byteOffset === undefined) return `${p.file}:${p.line}:${p.column}`;
  const pos = positionAt(p.text, byteToCharOffset(p.text, byteOffset));
  const line = p.textLine + pos.line - 1;
  const column = pos.line === 1 ? p.textColumn + pos.column - 1 : pos.column;
  return `${p.file}:${line}:${column}`;
}
