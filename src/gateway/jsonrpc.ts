import { JsonSyntaxError, parseStrictJson } from './strict-json.ts';

/** JSON-RPC 2.0 and MCP error codes the gateway emits (documented in docs/architecture.md). */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** MCP SDK: request timed out. */
  REQUEST_TIMEOUT: -32001,
  /** Warden: the request was understood and refused by policy, grant, pin or scanner. */
  FORBIDDEN: -32010,
  /** Warden: the upstream server is unavailable or failed. */
  UPSTREAM_UNAVAILABLE: -32011,
  /** Warden: the audit log could not record the decision, so nothing was done (fail closed). */
  AUDIT_UNAVAILABLE: -32012,
  /** Warden: the agent is over its call rate limit; `error.data.retryAfterMs` says when to retry. */
  RATE_LIMITED: -32013,
  HEADER_MISMATCH: -32020,
} as const;

export type RawId = string; // the id's JSON text exactly as the client sent it

export interface RpcRequest {
  readonly kind: 'request';
  readonly id: string | number;
  readonly rawId: RawId;
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
}
export interface RpcNotification {
  readonly kind: 'notification';
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
}
export interface RpcResponse {
  readonly kind: 'response';
  readonly id: string | number;
  readonly rawId: RawId;
  readonly result?: unknown;
  readonly error?: { code: number; message: string; data?: unknown };
}
export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

export interface RpcFailure {
  readonly kind: 'invalid';
  readonly code: number;
  readonly message: string;
  /** The raw id when one could be read, else 'null'. */
  readonly rawId: RawId;
}

/**
 * Parses one HTTP body or stdio line. Returns a list when the body is a batch array (callers
 * decide whether the negotiated protocol allows batches).
 */
export function parseBody(
  text: string,
  maxDepth: number,
):
  | { batch: false; message: RpcMessage | RpcFailure }
  | { batch: true; messages: (RpcMessage | RpcFailure)[] }
  | RpcFailure {
  let parsed;
  try {
    parsed = parseStrictJson(text, maxDepth);
  } catch (e) {
    const why = e instanceof JsonSyntaxError ? e.message : 'invalid JSON';
    return { kind: 'invalid', code: RpcCode.PARSE_ERROR, message: `Parse error: ${why}`, rawId: 'null' };
  }
  if (Array.isArray(parsed.value)) {
    if (parsed.value.length === 0) {
      return {
        kind: 'invalid',
        code: RpcCode.INVALID_REQUEST,
        message: 'Invalid Request: empty batch',
        rawId: 'null',
      };
    }
    return { batch: true, messages: parsed.value.map((v, i) => classify(v, parsed.elementIds[i])) };
  }
  return { batch: false, message: classify(parsed.value, parsed.rawId) };
}

/** Validates one JSON-RPC message shape (RPC-2..RPC-5, RPC-8, RPC-9). */
export function classify(v: unknown, rawId: RawId | undefined): RpcMessage | RpcFailure {
  const invalid = (message: string, id: RawId = 'null'): RpcFailure => ({
    kind: 'invalid',
    code: RpcCode.INVALID_REQUEST,
    message: `Invalid Request: ${message}`,
    rawId: id,
  });
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return invalid('a message must be a JSON object');
  const m = v as Record<string, unknown>;
  const hasId = 'id' in m;
  const id = m.id;
  let idText: RawId | undefined;
  if (hasId) {
    if (typeof id === 'string') idText = rawId ?? JSON.stringify(id);
    else if (typeof id === 'number') {
      // Integer ids only, within 2^53, written canonically: echoing them stays byte-identical (RPC-5).
      if (!Number.isSafeInteger(id) || (rawId !== undefined && rawId !== String(id))) {
        return invalid('id must be a string or an integer below 2^53 written without fraction or exponent');
      }
      idText = String(id);
    } else return invalid('id must be a string or an integer (MCP: never null)');
  }
  const echo = idText ?? 'null';
  if (m.jsonrpc !== '2.0') return invalid('jsonrpc must be the string "2.0"', echo);
  if ('method' in m) {
    // Any string is a method name here; unknown names (including case and whitespace variants)
    // get -32601 from the dispatcher and are never normalized into a known one (RPC-8).
    if (typeof m.method !== 'string') return invalid('method must be a string', echo);
    const params = m.params;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      return invalid('params must be an object', echo);
    }
    for (const k of Object.keys(m)) {
      if (k !== 'jsonrpc' && k !== 'id' && k !== 'method' && k !== 'params')
        return invalid(`unexpected member ${JSON.stringify(k)}`, echo);
    }
    const p = params as Record<string, unknown> | undefined;
    if (!hasId) return { kind: 'notification', method: m.method, params: p };
    return { kind: 'request', id: id as string | number, rawId: echo, method: m.method, params: p };
  }
  if (!hasId) return invalid('a response needs an id');
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult === hasError) return invalid('a response has exactly one of result or error', echo);
  if (hasError) {
    const e = m.error as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || typeof e.code !== 'number' || typeof e.message !== 'string') {
      return invalid('error must have a numeric code and a message', echo);
    }
    return {
      kind: 'response',
      id: id as string | number,
      rawId: echo,
      error: e as RpcResponse['error'] & object,
    };
  }
  return { kind: 'response', id: id as string | number, rawId: echo, result: m.result };
}

/**
 * A result that was already serialised once (the pipeline measures each result for its audit
 * record): spliced into the response verbatim instead of being stringified a second time.
 */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toJSON(): unknown {
    return JSON.parse(this.text) as unknown;
  }
}

/** Serializes a response with the request's raw id text spliced in verbatim. */
export function resultText(rawId: RawId, result: unknown): string {
  // `undefined` is not JSON; an absent result is sent as an empty object.
  const body = result instanceof RawJson ? result.text : JSON.stringify(result ?? {});
  return `{"jsonrpc":"2.0","id":${rawId},"result":${body}}`;
}

export function errorText(rawId: RawId, code: number, message: string, data?: unknown): string {
  const error = data === undefined ? { code, message } : { code, message, data };
  return `{"jsonrpc":"2.0","id":${rawId},"error":${JSON.stringify(error)}}`;
}

/**
 * A client- or upstream-supplied string for an error message or log line: at most `max`
 * characters, printable ASCII only, so it cannot inject into logs, terminals or UIs.
 */
export function printable(s: string, max: number): string {
  const head = s.slice(0, max).replace(/[^\x20-\x7e]/g, '?');
  return s.length > max ? head + '…' : head;
}
