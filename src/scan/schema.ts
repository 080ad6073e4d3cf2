/**
 * Input shapes for `warden scan tools FILE`: a saved `tools/list` result (`{ tools: [...] }`),
 * a JSON-RPC response carrying one (`{ result: { tools: [...] } }`), or a bare array of tool
 * definitions. Parsed loosely (MCP wire payloads): each tool stays an untrusted object.
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
  throw new ScanError(
    'ERR_SCAN_INPUT',
    'expected a tools/list result ({ "tools": [...] }), a JSON-RPC response carrying one, or an array of tool definitions',
  );
}
