/**
 * Tool pins (RP-1): `sha256:` + hex SHA-256 of the RFC 8785 canonical JSON of the pinned
 * fields of a tool definition.
 *
 * Pinned fields, exactly: `name`, `title`, `description`, `inputSchema`, `outputSchema`,
 * `annotations` (everything the model or the policy engine reads). A field that is absent
 * (or `undefined`) is left out; `null` is kept and hashed as null, so adding, removing or
 * nulling any of them changes the pin. Not pinned: `_meta`, `icons`, `execution` and unknown
 * extension fields (transport/display metadata that servers may vary per call).
 *
 * Prompts, resources and resource templates are pinned the same way over their own fields
 * (`PINNED_ITEM_FIELDS`): everything the model reads or that decides what is fetched. Not pinned
 * for resources: `size`, `annotations` (`lastModified` changes with the content), `_meta`, `icons`.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/index.ts';
import type { ItemKind } from '../scan/index.ts';

export const PINNED_FIELDS = [
  'name',
  'title',
  'description',
  'inputSchema',
  'outputSchema',
  'annotations',
] as const;
export type PinnedField = (typeof PINNED_FIELDS)[number];

/** What a pin is of: tools (the default everywhere), prompts, resources, resource templates. */
export type PinKind = ItemKind;

export const PINNED_ITEM_FIELDS: Readonly<Record<PinKind, readonly string[]>> = Object.freeze({
  tool: PINNED_FIELDS,
  prompt: ['name', 'title', 'description', 'arguments'],
  resource: ['uri', 'name', 'title', 'description', 'mimeType'],
  'resource-template': ['uriTemplate', 'name', 'title', 'description', 'mimeType'],
});

/** The part of a definition that the pin covers. */
export function pinnedView(
  def: Readonly<Record<string, unknown>>,
  kind: PinKind = 'tool',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of PINNED_ITEM_FIELDS[kind]) if (def[k] !== undefined) out[k] = def[k];
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `sha256:<64 hex>` over canonicalJson(pinnedView(def, kind)). */
export function pinHash(def: Readonly<Record<string, unknown>>, kind: PinKind = 'tool'): string {
  return `sha256:${sha256Hex(canonicalJson(pinnedView(def, kind)))}`;
}

/**
 * Hash of a whole tool list as one server returned it (RP-3): the canonical JSON of the sorted
 * `[name, pinHash]` pairs, so order does not matter but any definition does.
 */
export function listHash(defs: readonly Readonly<Record<string, unknown>>[]): string {
  const pairs = defs
    .map((d) => [typeof d['name'] === 'string' ? d['name'] : '', pinHash(d)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return `sha256:${sha256Hex(canonicalJson(pairs))}`;
}

export const PIN_RE = /^sha256:[0-9a-f]{64}$/;
