import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Largest upstream HTTP body or SSE event the gateway reads (a hostile upstream cannot exhaust memory). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const GET_RETRY_MS = 2_000;

/**
 * One keep-alive connection pool per upstream origin, shared by every session's transport:
 * per-call cost is one request on a warm connection (no fetch/WHATWG-stream machinery).
 */
const pools = new Map<string, Pool>();

function poolFor(origin: string): Pool {
  let p = pools.get(origin);
  if (p === undefined) {
    p = new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 60_000 });
    pools.set(origin, p);
  }
  return p;
}

/** Closes every upstream pool (gateway shutdown). */
export async function closeUpstreamPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close().catch(() => {})));
}

/**
 * An MCP Streamable HTTP client transport on undici. POST responses may be JSON or SSE; SSE is
 * parsed incrementally, so a server-to-client request (sampling, elicitation) arriving in the
 * middle of a call stream is delivered at once. A standalone GET stream carries messages not
 * tied to a request (list_changed, logging); a server that answers it with 405 simply has none.
 */
export class UndiciHttpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  sessionId?: string;
  readonly #url: URL;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #pool: Pool;
  #protocolVersion: string | undefined;
  /** The POST headers, rebuilt only when the session id or protocol version changes. */
  #post:
    { sid: string | undefined; version: string | undefined; headers: Record<string, string> } | undefined;
  #closed = false;
  #get: AbortController | undefined;

  constructor(url: URL, headers: Readonly<Record<string, string>>) {
    this.#url = url;
    this.#headers = headers;
    this.#pool = poolFor(url.origin);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
    this.#openGetStream();
  }

  #postHeaders(): Record<string, string> {
    const p = this.#post;
    if (p !== undefined && p.sid === this.sessionId && p.version === this.#protocolVersion) return p.headers;
    const headers = {
      ...this.#requestHeaders('application/json, text/event-stream'),
      'content-type': 'application/json',
    };
    this.#post = { sid: this.sessionId, version: this.#protocolVersion, headers };
    return headers;
  }

  #requestHeaders(accept: string): Record<string, string> {
    const h: Record<string, string> = { ...this.#headers, accept };
    if (this.sessionId !== undefined) h['mcp-session-id'] = this.sessionId;
    if (this.#protocolVersion !== undefined) h['mcp-protocol-version'] = this.#protocolVersion;
    return h;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error('transport closed');
    const res = await this.#pool.request({
      path: this.#url.pathname + this.#url.search,
      method: 'POST',
      headers: this.#postHeaders(),
      body: JSON.stringify(message),
    });
    const sid = res.headers['mcp-session-id'];
    if (typeof sid === 'string' && sid !== '') this.sessionId = sid;
    if (res.statusCode === 202) {
      await res.body.dump();
      return;
    }
    if (res.statusCode >= 400) {
      await res.body.dump();
      throw new Error(`upstream answered HTTP ${res.statusCode}`);
    }
    const type = String(res.headers['content-type'] ?? '');
    if (type.startsWith('text/event-stream')) {
      // Consumed in the background: the response (and any related requests) arrive as events.
      void this.#readEvents(res.body).catch((e: unknown) => this.onerror?.(e as Error));
      return;
    }
    const text = await readCapped(res.body);
    if (text.trim() === '') return;
    const parsed = JSON.parse(text) as JSONRPCMessage | JSONRPCMessage[];
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.onmessage?.(m);
  }

  #openGetStream(): void {
    if (this.#closed || this.#get !== undefined) return;
    const abort = new AbortController();
    this.#get = abort;
    const run = async (): Promise<void> => {
      const res = await this.#pool.request({
        path: this.#url.pathname + this.#url.search,
        method: 'GET',
        headers: this.#requestHeaders('text/event-stream'),
        signal: abort.signal,
      });
      if (
        res.statusCode !== 200 ||
        !String(res.headers['content-type'] ?? '').startsWith('text/event-stream')
      ) {
        await res.body.dump();
        return; // the server offers no standalone stream (405) or refused it: nothing to retry
      }
      await this.#readEvents(res.body);
      if (!this.#closed) {
        this.#get = undefined;
        setTimeout(() => this.#openGetStream(), GET_RETRY_MS).unref();
      }
    };
    run().catch((e: unknown) => {
      if (!this.#closed) this.onerror?.(e as Error);
    });
  }

  async #readEvents(body: Dispatcher.ResponseData['body']): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of body) {
      buf += decoder.decode(chunk as Buffer, { stream: true });
      if (buf.length > MAX_BODY_BYTES)
        throw new Error(`upstream SSE event larger than ${MAX_BODY_BYTES} bytes`);
      for (;;) {
        const end = buf.search(/\r?\n\r?\n/);
        if (end < 0) break;
        const block = buf.slice(0, end);
        buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
        this.#dispatchEvent(block);
      }
    }
  }

  #dispatchEvent(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (event !== 'message' || data.length === 0) return;
    const text = data.join('\n');
    if (text.trim() === '') return; // priming events carry no message
    try {
      this.onmessage?.(JSON.parse(text) as JSONRPCMessage);
    } catch (e) {
      this.onerror?.(e as Error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#get?.abort();
    if (this.sessionId !== undefined) {
      try {
        const res = await this.#pool.request({
          path: this.#url.pathname + this.#url.search,
          method: 'DELETE',
          headers: this.#requestHeaders('application/json'),
        });
        await res.body.dump();
      } catch {
        // best effort: the upstream expires idle sessions itself
      }
    }
    this.onclose?.();
  }
}

/**
 * The whole body as UTF-8, refused past MAX_BODY_BYTES. Event listeners rather than an async
 * iterator: this runs once per forwarded call, and the iterator's promise per chunk costs more
 * than the read itself for a small answer.
 */
function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`upstream body larger than ${MAX_BODY_BYTES} bytes`));
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    body.once('error', (e: Error) => reject(e));
    body.once('close', () => {
      if (!ended) reject(new Error('upstream body ended early'));
    });
  });
}
