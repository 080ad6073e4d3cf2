/**
 * Scanning of prompt, resource and resource-template definitions (THREATS TP-1…TP-3, TP-5,
 * SH-2, SH-5): the same rules as tools where they apply. A prompt's description and argument
 * descriptions reach the model like a tool's; a resource's name, title and description are shown
 * to it in resources/list; its URI can point at sensitive files. Pure: no I/O.
 *
 * - prompts: name (tool-name rule: prompts are invoked by name), title, description, every
 *   argument's name (as a parameter name) and description; title vs name (SH-5);
 * - resources: name, title, description, uri, mimeType, annotations and any other field;
 * - resource templates: the same with uriTemplate; its `{variables}` count as parameters.
 */
import { parameterNames } from './walk.ts';
import { scanDefinition } from './scanner.ts';
import type { DefinitionShape } from './scanner.ts';
import type { ItemKind, ItemScanResult, ScanContext, ToolScanResult } from './types.ts';

function promptArguments(def: Record<string, unknown>): string[] {
  const args = def['arguments'];
  if (!Array.isArray(args)) return [];
  return args.flatMap((a: unknown) =>
    a !== null && typeof a === 'object' && typeof (a as Record<string, unknown>)['name'] === 'string'
      ? [(a as Record<string, unknown>)['name'] as string]
      : [],
  );
}

/** `{var}`, `{+var}`, `{?a,b}` … of an RFC 6570 template. */
function templateVariables(def: Record<string, unknown>): string[] {
  const t = def['uriTemplate'];
  if (typeof t !== 'string') return [];
  const out: string[] = [];
  for (const m of t.slice(0, 4096).matchAll(/\{[+#./;?&]?([^}]{1,200})\}/g))
    for (const v of m[1]!.split(',')) out.push(v.replace(/[:*].*$/, '').trim());
  return out.filter((v) => v !== '');
}

const SHAPES: Readonly<Record<ItemKind, DefinitionShape>> = {
  tool: {
    noun: 'tool',
    invokedByName: true,
    toolCollisions: true,
    annotationRules: true,
    parameters: parameterNames,
  },
  prompt: {
    noun: 'prompt',
    invokedByName: true,
    toolCollisions: false,
    annotationRules: true,
    parameters: promptArguments,
    parameterPointer: /^\/arguments\/\d+\/name$/,
  },
  resource: {
    noun: 'resource',
    invokedByName: false,
    toolCollisions: false,
    annotationRules: false,
    parameters: () => [],
  },
  'resource-template': {
    noun: 'resource template',
    invokedByName: false,
    toolCollisions: false,
    annotationRules: false,
    parameters: templateVariables,
  },
};

/** The field that identifies an item of this kind on its server (its pin key). */
export const ITEM_KEY: Readonly<Record<ItemKind, 'name' | 'uri' | 'uriTemplate'>> = {
  tool: 'name',
  prompt: 'name',
  resource: 'uri',
  'resource-template': 'uriTemplate',
};

function withKind(kind: ItemKind, def: unknown, r: ToolScanResult): ItemScanResult {
  const key = ITEM_KEY[kind];
  if (key === 'name') return { kind, ...r };
  const obj = def !== null && typeof def === 'object' ? (def as Record<string, unknown>) : {};
  const v = obj[key];
  return { kind, ...r, [key]: typeof v === 'string' ? v : '' };
}

/** Scans one definition of `kind` (tool, prompt, resource, resource-template). */
export function scanItem(kind: ItemKind, def: unknown, ctx: ScanContext = {}): ItemScanResult {
  return withKind(kind, def, scanDefinition(def, SHAPES[kind], ctx));
}

export function scanPrompt(def: unknown, ctx: ScanContext = {}): ItemScanResult {
  return scanItem('prompt', def, ctx);
}

export function scanResource(def: unknown, ctx: ScanContext = {}): ItemScanResult {
  return scanItem('resource', def, ctx);
}

export function scanResourceTemplate(def: unknown, ctx: ScanContext = {}): ItemScanResult {
  return scanItem('resource-template', def, ctx);
}

/** Scans a server's list of one kind. */
export function scanItems(kind: ItemKind, defs: readonly unknown[], ctx: ScanContext = {}): ItemScanResult[] {
  return defs.map((d) => scanItem(kind, d, ctx));
}
