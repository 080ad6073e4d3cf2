/** Raw Streamable HTTP for edge-case tests: exact bytes in, status and body out. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const res = await fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(
      text.startsWith('event:')
        ? (/data: (.*)\n/.exec(text.split('\n\n').filter(Boolean).at(-1) ?? '')?.[1] ?? 'null')
        : text,
    );
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Initializes a raw session; returns headers to use for its later requests. */
export async function rawSession(
  url: string,
  credential: string,
  protocolVersion = '2025-11-25',
): Promise<Record<string, string>> {
  const auth = { authorization: `Bearer ${credential}` };
  const init = await post(
    url,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
    auth,
  );
  if (init.status !== 200) throw new Error(`initialize failed: ${init.status} ${init.text}`);
  const session = init.headers.get('mcp-session-id')!;
  const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': protocolVersion };
  await post(url, '{"jsonrpc":"2.0","method":"notifications/initialized"}', headers);
  return headers;
}
