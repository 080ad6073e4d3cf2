/**
 * Tool-name safety (SH-1, SH-3): the MCP 2025-11-25 naming rule, a confusable skeleton for
 * collision detection, and collision finding across servers.
 */
import { err, ok } from '../core/index.ts';
import type { Result } from '../core/index.ts';
import { mapConfusables } from './confusables.ts';
import { normalizeForDisplay, stripInvisible } from './unicode.ts';

export type ToolNameErrorCode = 'ERR_TOOL_NAME_EMPTY' | 'ERR_TOOL_NAME_LENGTH' | 'ERR_TOOL_NAME_CHARS';

/** MCP 2025-11-25: tool names SHOULD be 1–128 characters of [A-Za-z0-9_.-]. */
export const TOOL_NAME_MAX = 128;
const NAME_CHAR = /^[A-Za-z0-9_.-]$/;

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const visible = normalizeForDisplay(ch);
  return visible === ch && cp > 0x20 ? `'${ch}' (${hex})` : hex;
}

/**
 * Checks a tool name against the MCP naming rule and says exactly what is wrong
 * (first offending character with its position and code point).
 */
export function validateToolName(name: string): Result<string, ToolNameErrorCode> {
  if (name.length === 0) return err('ERR_TOOL_NAME_EMPTY', 'tool name is empty');
  const chars = [...name];
  if (chars.length > TOOL_NAME_MAX) {
    return err(
      'ERR_TOOL_NAME_LENGTH',
      `tool name is ${chars.length} characters long; the limit is ${TOOL_NAME_MAX}`,
    );
  }
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (!NAME_CHAR.test(ch)) {
      return err(
        'ERR_TOOL_NAME_CHARS',
        `tool name has ${describeChar(ch)} at position ${i}; only A-Z, a-z, 0-9, '_', '-' and '.' are allowed`,
      );
    }
  }
  return ok(name);
}

/** Full case fold (ß → ss, ſ → s, ı → i) without locale rules. */
function fold(s: string): string {
  return s.toUpperCase().toLowerCase();
}

function prepare(s: string): string {
  return stripInvisible(s).normalize('NFKC');
}

/** Separators '-' and '_' are treated as the same character (a model cannot tell them apart). */
function foldSeparators(s: string): string {
  return s.replace(/-/g, '_');
}

/**
 * UTS #39-style skeleton for collision detection: strips invisible code points (zero-width,
 * bidi, tags, variation selectors), applies NFKC (fullwidth, ligatures, math letters), case
 * folds, maps confusables (confusables.txt), drops combining marks, folds again and treats
 * '-' and '_' alike. Two names with the same skeleton look alike to a person or a model.
 * Not for display.
 */
export function nameSkeleton(name: string): string {
  return foldSeparators(mapConfusables(fold(mapConfusables(fold(prepare(name))))));
}

/**
 * The case-preserving variant: confusables mapped before folding and without NFKC, so capital
 * I, digit 1 and small l (all prototypes of 'l') meet, and long s (NFKC: 's') meets 'f' as
 * confusables.txt says; folding or NFKC first would separate them.
 */
function visualSkeleton(name: string): string {
  return foldSeparators(mapConfusables(fold(mapConfusables(stripInvisible(name)))));
}

/**
 * Every key under which two names collide as confusables (the case-folded skeleton and the
 * case-preserving visual skeleton). For incremental checks: keep a map per key.
 */
export function collisionKeys(name: string): readonly string[] {
  return [nameSkeleton(name), visualSkeleton(name)];
}

export type CollisionReason = 'exact' | 'case' | 'confusable';
export interface Collision {
  readonly a: string;
  readonly b: string;
  readonly reason: CollisionReason;
}

type KeyFn = (s: string) => string;
const KEYS: readonly [CollisionReason, KeyFn][] = [
  ['exact', (s) => s],
  ['case', fold],
  ['confusable', nameSkeleton],
  ['confusable', visualSkeleton],
];

/**
 * Every pair of names that collide, with the strongest reason (exact before case before
 * confusable). Each later name is paired with the first earlier name it collides with under
 * each key, so the output is linear in the input even when many names collide.
 */
export function findCollisions(names: readonly string[]): Collision[] {
  const out: Collision[] = [];
  const reported = new Set<string>();
  for (const [reason, key] of KEYS) {
    const firstByKey = new Map<string, number>();
    names.forEach((name, i) => {
      const k = key(name);
      const first = firstByKey.get(k);
      if (first === undefined) {
        firstByKey.set(k, i);
        return;
      }
      const pairId = `${first},${i}`;
      if (reported.has(pairId) || (reason !== 'exact' && names[first] === name)) return;
      reported.add(pairId);
      out.push({ a: names[first]!, b: name, reason });
    });
  }
  return out;
}
