/**
 * Input shapes for `warden scan tools FILE`: a saved `tools/list` result (`{ tools: [...] }`),
 * a JSON-RPC response carrying one (`{ result: { tools: [...] } }`), or a bare array of tool
 * definitions; and likewise saved `prompts/list`, `resources/list` and
 * `resources/templates/list` results, or one object holding several of these lists. Parsed
 * loosely (MCP wire payloads): each definition stays an untrusted object.
 */
import { z } from 'zod';
import { ScanError } from './errors.ts';

const tool = z.looseObject({ name: z.unknown() });
const toolArray = z.array(tool);
const listResult = z.looseObject({ tools: toolArray });
const rpcResponse = z.looseObject({ result: listResult });

export function parseToolList(value: unknown): Record<string, unknown>[] {
  for (const schema of [toolArray, listResult, rpcResponse] as const) {
    const r = schema.safeParse(value);
    if (!r.success) continue;
    const data = r.data as unknown;
    if (Array.isArray(data)) return data as Record<string, unknown>[];
    const o = data as { tools?: Record<string, unknown>[]; result?: { tools: Record<string, unknown>[] } };
    return o.tools ?? o.result!.tools;
  }
  throw new ScanError('ERR_SCAN_INPUT', INPUT_HELP);
}

const INPUT_HELP =
  'expected a tools/list result ({ "tools": [...] }), a JSON-RPC response carrying one, or an array of tool definitions; or a prompts/list, resources/list or resources/templates/list result ({ "prompts" | "resources" | "resourceTemplates": [...] }), or an object with several of these lists';

/** The definition lists of a saved listing, by kind (only the lists present). */
export interface DefinitionLists {
  readonly tools?: Record<string, unknown>[];
  readonly prompts?: Record<string, unknown>[];
  readonly resources?: Record<string, unknown>[];
  readonly resourceTemplates?: Record<string, unknown>[];
}

const item = z.looseObject({});
const lists = z.looseObject({
  tools: z.array(tool).optional(),
  prompts: z.array(item).optional(),
  resources: z.array(item).optional(),
  resourceTemplates: z.array(item).optional(),
});
const LIST_KEYS = ['tools', 'prompts', 'resources', 'resourceTemplates'] as const;

/**
 * Every definition list in `value`: any of the shapes `parseToolList` takes, or an object (or a
 * JSON-RPC response's result) with one or more of `tools`, `prompts`, `resources`,
 * `resourceTemplates`. A present key whose value is not an array of objects is an error.
 */
export function parseDefinitionLists(value: unknown): DefinitionLists {
  if (Array.isArray(value)) return { tools: parseToolList(value) };
  const inner =
    value !== null && typeof value === 'object' && !LIST_KEYS.some((k) => k in value) && 'result' in value
      ? value.result
      : value;
  const r = lists.safeParse(inner);
  if (!r.success || !LIST_KEYS.some((k) => r.data[k] !== undefined))
    throw new ScanError('ERR_SCAN_INPUT', INPUT_HELP);
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const k of LIST_KEYS) if (r.data[k] !== undefined) out[k] = r.data[k] as Record<string, unknown>[];
  return out;
}
