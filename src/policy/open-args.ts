/**
 * Validation support for the open-ended `context.args` / `context.grant` records (declared
 * empty in the schema, see cedar-schema.ts):
 *
 * 1. the "attribute `args.x` in context … not found" error is waived when Cedar locates it on a
 *    `context.args…` / `context.grant…` expression;
 * 2. `context.args has x` types as the singleton `False` against the empty record, and Cedar's
 *    typechecker then skips the rest of the `&&` chain. So every policy holding such a test is
 *    validated a second time with each of those tests replaced by `context has taint` (a plain
 *    Bool: `taint` is optional), which makes the rest of the chain type-checked again.
 */
import type { DetailedError, PolicyJson } from './cedar.ts';
import { validatePolicies } from './cedar.ts';
import { OPEN_CONTEXT_ATTRIBUTES, wardenSchema } from './cedar-schema.ts';
import type { CompiledPolicy } from './compile.ts';
import { byteToCharOffset } from './source.ts';

const NAMES = OPEN_CONTEXT_ATTRIBUTES.join('|');
const OPEN_EXPR = new RegExp(`^context\\s*(\\.\\s*(${NAMES})\\b|\\[\\s*"(${NAMES})"\\s*\\])`);
const OPEN_HAS_TEXT = new RegExp(`context\\s*\\.\\s*(${NAMES})\\b[^;]*?\\shas\\b`);
const NOT_FOUND = new RegExp(`attribute \`(${NAMES})(\\.[^\`]*)?\` in context for .* not found$`);

export function isWaived(text: string, e: DetailedError): boolean {
  if (!/ not found$/.test(e.message)) return false;
  const loc = e.sourceLocations?.[0];
  if (loc === undefined) return false;
  const expr = text.slice(byteToCharOffset(text, loc.start), byteToCharOffset(text, loc.end));
  return OPEN_EXPR.test(expr);
}

/** `context.args has x` is "impossible" against the empty declared record; expected, not news. */
export function isExpectedImpossible(text: string | undefined, e: DetailedError): boolean {
  return text !== undefined && /policy is impossible/.test(e.message) && OPEN_HAS_TEXT.test(text);
}

type Node = unknown;

function isOpenRoot(n: Node): boolean {
  if (typeof n !== 'object' || n === null || !('.' in n)) return false;
  const dot = (n as { '.': { left: Node; attr: string } })['.'];
  const left = dot.left as { Var?: string } | null;
  if (typeof left === 'object' && left !== null && left.Var === 'context') {
    return (OPEN_CONTEXT_ATTRIBUTES as readonly string[]).includes(dot.attr);
  }
  return isOpenRoot(dot.left);
}

const REPLACEMENT = { has: { left: { Var: 'context' }, attr: 'taint' } };

function rewrite(n: Node, changed: { any: boolean }): Node {
  if (Array.isArray(n)) return n.map((c) => rewrite(c, changed));
  if (typeof n !== 'object' || n === null) return n;
  if ('has' in n && isOpenRoot((n as { has: { left: Node } }).has.left)) {
    changed.any = true;
    return REPLACEMENT;
  }
  const out: Record<string, Node> = {};
  for (const [k, v] of Object.entries(n)) out[k] = k === 'Value' ? v : rewrite(v, changed);
  return out;
}

/** Second pass (2. above). Errors are located at the policy's start (JSON has no positions). */
export function validateGuarded(
  policies: readonly CompiledPolicy[],
): { policy: CompiledPolicy; error: DetailedError }[] {
  const rewritten: Record<string, PolicyJson> = {};
  for (const p of policies) {
    const changed = { any: false };
    const conditions = rewrite(p.json.conditions, changed) as PolicyJson['conditions'];
    if (changed.any) rewritten[p.id] = { ...p.json, conditions };
  }
  if (Object.keys(rewritten).length === 0) return [];
  const r = validatePolicies(wardenSchema(), rewritten);
  if (r.type === 'failure') return []; // the first pass already validated these policies
  const byId = new Map(policies.map((p) => [p.id, p]));
  const out: { policy: CompiledPolicy; error: DetailedError }[] = [];
  for (const v of r.validationErrors) {
    const policy = byId.get(v.policyId);
    if (policy === undefined || NOT_FOUND.test(v.error.message)) continue;
    out.push({ policy, error: v.error });
  }
  return out;
}
