import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from '../identity/index.ts';
import { isAuthenticationFailure } from '../identity/index.ts';
import type { GatewayServices } from './services.ts';
import { FrontSession } from './session.ts';
import type { ClientChannel } from './session.ts';
import { readBody } from './body.ts';
import { RpcCode, errorText, parseBody, printable, resultText } from './jsonrpc.ts';
import type { RpcFailure, RpcMessage, RpcRequest } from './jsonrpc.ts';
import { dispatch, initializeResult, notify, supportedVersions } from './methods.ts';
import { redactReply } from './secrets-redact.ts';
import type { Reply } from './methods.ts';
import { allowedHostSet, checkOrigin } from './host-check.ts';
import { GatewayError } from './errors.ts';
import { CallCancel } from './cancel.ts';

/** Methods whose results the pipeline or the session's listing cache already redacted. */
const ALREADY_REDACTED = new Set([
  'tools/call',
  'resources/read',
  'prompts/get',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
]);

const SESSION_IDLE_MS = 30 * 60_000;
const MAX_BATCH = 32;

/**
 * The MCP Streamable HTTP front (`/mcp`), plus `/healthz`. Order of checks for every request:
 * Host and Origin (DNS rebinding, SE-6) → authentication (SE-8) → route → session bound to the
 * principal (SE-1) → size and shape limits → dispatch.
 */
export class HttpFront {
  readonly services: GatewayServices;
  readonly sessions = new Map<string, FrontSession>();
  /** Extra routes (token endpoint, metadata, metrics) added by later layers: path → handler. */
  readonly routes = new Map<
    string,
    (req: IncomingMessage, res: ServerResponse, principal: Principal | undefined) => void
  >();
  /** Extra routes reached without a bearer (the token endpoint authenticates in the body). */
  readonly publicRoutes = new Set<string>();
  readonly #server: Server;
  #hosts = new Set<string>();
  /** The public URL of /mcp, with the real port once listening (when the configured port was 0). */
  publicUrl: string;
  #sweep: NodeJS.Timeout | undefined;

  constructor(services: GatewayServices) {
    this.services = services;
    this.publicUrl = services.config.gateway.publicUrl;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        services.logger.error('request failed', { error: (e as Error).message });
        if (!res.headersSent) sendJson(res, 500, errorText('null', RpcCode.INTERNAL_ERROR, 'Internal error'));
        else res.end();
      });
    });
    this.#server.headersTimeout = 10_000;
    this.#server.requestTimeout = 60_000;
    this.#server.keepAliveTimeout = 30_000;
  }

  async listen(): Promise<{ host: string; port: number; url: string }> {
    const { host, port } = this.services.config.gateway;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (e) =>
        reject(
          new GatewayError('ERR_LISTEN', `cannot listen on ${host}:${port}: ${e.message}`, { host, port }),
        ),
      );
      this.#server.listen(port, host, () => resolve());
    });
    const addr = this.#server.address() as AddressInfo;
    const pub = new URL(this.publicUrl);
    if (pub.port === '0') {
      pub.port = String(addr.port);
      this.publicUrl = pub.href;
    }
    this.#hosts = allowedHostSet(this.services.config.gateway, addr.port);
    this.#sweep = setInterval(() => void this.#expireIdle(), 60_000);
    this.#sweep.unref();
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { host: addr.address, port: addr.port, url: `http://${shown}:${addr.port}/mcp` };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  async #expireIdle(): Promise<void> {
    const now = this.services.clock.now();
    for (const [id, s] of this.sessions) {
      if (s.channel === undefined && s.inflight.size === 0 && now - s.lastSeen > SESSION_IDLE_MS) {
        this.sessions.delete(id);
        await s.close();
      }
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The MCP endpoint's own path needs no URL parser (WHATWG parsing costs ~5 µs per request).
    const raw = req.url ?? '/';
    const pathname = raw === '/mcp' ? raw : new URL(raw, 'http://warden.invalid').pathname;
    if (!this.#hosts.has((req.headers.host ?? '').toLowerCase())) {
      return refuse(res, 403, 'Forbidden: Host header not allowed (DNS rebinding protection)');
    }
    if (!checkOrigin(req.headers.origin, this.services.config.gateway.allowedOrigins, this.#hosts)) {
      return refuse(res, 403, 'Forbidden: Origin not allowed');
    }
    if (pathname === '/healthz' && req.method === 'GET') return sendJson(res, 200, '{"status":"ok"}');
    const extra = this.routes.get(pathname);
    if (extra !== undefined && (pathname.startsWith('/.well-known/') || this.publicRoutes.has(pathname)))
      return extra(req, res, undefined);
    const principal = await this.#authenticate(req, res);
    if (principal === undefined) return;
    if (extra !== undefined) return extra(req, res, principal);
    if (pathname !== '/mcp') return refuse(res, 404, 'Not found');
    switch (req.method) {
      case 'POST':
        return this.#post(req, res, principal);
      case 'GET':
        return this.#get(req, res, principal);
      case 'DELETE':
        return this.#delete(req, res, principal);
      default:
        res.setHeader('Allow', 'GET, POST, DELETE');
        return refuse(res, 405, 'Method not allowed');
    }
  }

  async #authenticate(req: IncomingMessage, res: ServerResponse): Promise<Principal | undefined> {
    try {
      return await this.services.authenticator.authenticate(req.headers.authorization);
    } catch (e) {
      if (!isAuthenticationFailure(e)) throw e;
      const code = (e as { code: string }).code;
      void this.services.audit
        .append({
          kind: 'auth.failed',
          outcome: 'denied',
          errorCode: code,
          data: { path: new URL(req.url ?? '/', 'http://x').pathname.slice(0, 100) },
        })
        .catch(() => {});
      res.setHeader(
        'WWW-Authenticate',
        `Bearer error="invalid_token", resource_metadata="${new URL('/.well-known/oauth-protected-resource', this.publicUrl).href}"`,
      );
      refuse(res, 401, `Unauthorized: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The session named by Mcp-Session-Id, only if it belongs to this principal (else 404: SE-1). */
  #session(req: IncomingMessage, res: ServerResponse, principal: Principal): FrontSession | undefined {
    const id = req.headers['mcp-session-id'];
    if (typeof id !== 'string') {
      refuse(res, 400, 'Bad Request: Mcp-Session-Id header is required');
      return undefined;
    }
    const s = this.sessions.get(id);
    if (s === undefined || s.closed || s.principal.agentId !== principal.agentId) {
      refuse(res, 404, 'Session not found');
      return undefined;
    }
    // The header must name a revision this gateway accepts (400 otherwise). Behaviour always
    // follows the revision negotiated at initialize, so a header cannot downgrade it (RPC-17).
    const v = req.headers['mcp-protocol-version'];
    if (v !== undefined && (typeof v !== 'string' || !supportedVersions(s).includes(v))) {
      refuse(res, 400, `Bad Request: unsupported MCP-Protocol-Version ${printable(String(v), 20)}`);
      return undefined;
    }
    s.lastSeen = this.services.clock.now();
    // Each request is decided on the credential it carries (a refreshed or narrower token).
    s.principal = principal;
    s.authorization = req.headers.authorization;
    return s;
  }

  async #post(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const ct = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(ct)) {
      return refuse(res, 415, 'Unsupported Media Type: Content-Type must be application/json');
    }
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return refuse(res, 406, 'Not Acceptable: Accept must include application/json and text/event-stream');
    }
    const text = await readBody(req, this.services.config.gateway.maxBodyBytes);
    if (typeof text !== 'string') {
      return sendJson(
        res,
        text.status,
        errorText('null', text.status === 413 ? RpcCode.INVALID_REQUEST : RpcCode.PARSE_ERROR, text.message),
        true,
      );
    }
    const parsed = parseBody(text, this.services.config.gateway.maxDepth);
    if ('kind' in parsed) return sendJson(res, 400, errorText(parsed.rawId, parsed.code, parsed.message));
    if (!parsed.batch && parsed.message.kind === 'request' && parsed.message.method === 'initialize') {
      if (req.headers['mcp-session-id'] !== undefined) {
        return sendJson(
          res,
          400,
          errorText(
            parsed.message.rawId,
            RpcCode.INVALID_REQUEST,
            'Invalid Request: session already initialized',
          ),
        );
      }
      return this.#initialize(parsed.message, res, principal);
    }
    const session = this.#session(req, res, principal);
    if (session === undefined) return;
    if (parsed.batch) return this.#batch(session, parsed.messages, res);
    const m = parsed.message;
    if (m.kind === 'invalid') return sendJson(res, 400, errorText(m.rawId, m.code, m.message));
    if (m.kind !== 'request') {
      this.#accept(session, m);
      res.writeHead(202).end();
      return;
    }
    const responder = new PostResponder(res);
    const reply = await this.#request(session, m, responder, req);
    responder.finish(
      'error' in reply
        ? errorText(m.rawId, reply.error.code, reply.error.message, reply.error.data)
        : resultText(m.rawId, reply.result),
    );
  }

  #initialize(m: RpcRequest, res: ServerResponse, principal: Principal): void {
    const session = new FrontSession(principal, this.services);
    session.authorization = res.req.headers.authorization;
    const reply = initializeResult(session, m.params);
    if ('error' in reply)
      return sendJson(res, 400, errorText(m.rawId, reply.error.code, reply.error.message));
    this.sessions.set(session.id, session);
    res.setHeader('Mcp-Session-Id', session.id);
    this.services.logger.info('session started', { session: session.id, agent: principal.agentName });
    sendJson(res, 200, resultText(m.rawId, reply.result));
  }

  /** Client notifications and responses (to server-initiated requests). */
  #accept(session: FrontSession, m: Exclude<RpcMessage, RpcRequest>): void {
    if (m.kind === 'notification') return notify(session, m);
    if (!session.answerFromClient(m.id, m.result, m.error)) {
      this.services.logger.warn('dropped a client response to an unknown request', { session: session.id });
    }
  }

  async #request(
    session: FrontSession,
    m: RpcRequest,
    channel: ClientChannel | undefined,
    req: IncomingMessage,
  ): Promise<Reply> {
    if (m.method === 'initialize')
      return {
        error: { code: RpcCode.INVALID_REQUEST, message: 'Invalid Request: session already initialized' },
      };
    if (session.inflight.has(m.rawId)) {
      return {
        error: {
          code: RpcCode.INVALID_REQUEST,
          message: 'Invalid Request: id is already in use by an in-flight request (RPC-6)',
        },
      };
    }
    const abort = new CallCancel();
    const onClose = (): void => abort.abort();
    req.socket.once('close', onClose);
    session.inflight.set(m.rawId, { abort, ...(channel === undefined ? {} : { channel }) });
    try {
      const reply = await dispatch(session, m, channel, abort.signal);
      // The last net before the client: errors and relayed results (completions) are redacted
      // here; pipeline results and listings were redacted per server already.
      const secrets = session.services.secrets;
      if (secrets === undefined || ('result' in reply && ALREADY_REDACTED.has(m.method))) return reply;
      try {
        return redactReply(secrets.redactor(), reply);
      } catch {
        return {
          error: {
            code: RpcCode.INTERNAL_ERROR,
            message: 'Internal error: reply too deeply nested to check for secrets',
          },
        };
      }
    } finally {
      session.inflight.delete(m.rawId);
      req.socket.removeListener('close', onClose);
    }
  }

  async #batch(
    session: FrontSession,
    messages: (RpcMessage | RpcFailure)[],
    res: ServerResponse,
  ): Promise<void> {
    // JSON-RPC batches exist only in protocol 2025-03-26 (removed in 2025-06-18: RPC-11).
    if (session.protocolVersion !== '2025-03-26') {
      return refuse(
        res,
        400,
        `Invalid Request: batches are not allowed in protocol ${session.protocolVersion}`,
      );
    }
    if (messages.length > MAX_BATCH) {
      return refuse(res, 400, `Invalid Request: a batch holds at most ${MAX_BATCH} messages`);
    }
    const out: string[] = [];
    await Promise.all(
      messages.map(async (m, i) => {
        if (m.kind === 'invalid') out[i] = errorText(m.rawId, m.code, m.message);
        else if (m.kind === 'request') {
          const r = await this.#request(session, m, undefined, res.req);
          out[i] =
            'error' in r
              ? errorText(m.rawId, r.error.code, r.error.message, r.error.data)
              : resultText(m.rawId, r.result);
        } else this.#accept(session, m);
      }),
    );
    const replies = out.filter((x) => x !== undefined);
    if (replies.length === 0) res.writeHead(202).end();
    else sendJson(res, 200, `[${replies.join(',')}]`);
  }

  #get(req: IncomingMessage, res: ServerResponse, principal: Principal): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return refuse(res, 406, 'Not Acceptable: GET /mcp needs Accept: text/event-stream');
    }
    const session = this.#session(req, res, principal);
    if (session === undefined) return;
    if (session.channel !== undefined) {
      return refuse(res, 409, 'Conflict: this session already has a stream open');
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    const channel: ClientChannel = {
      send: (msg) =>
        res.writableEnded ? false : (res.write(`event: message\ndata: ${JSON.stringify(msg)}\n\n`), true),
    };
    session.channel = channel;
    const ping = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.socket.once('close', () => {
      clearInterval(ping);
      if (session.channel === channel) session.channel = undefined;
    });
  }

  async #delete(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const session = this.#session(req, res, principal);
    if (session === undefined) return;
    this.sessions.delete(session.id);
    await session.close();
    res.writeHead(200).end();
  }
}

/**
 * Answers one POST request: plain JSON unless related messages (progress, server requests)
 * arrive first, in which case the response becomes an SSE stream (decided at first write).
 */
class PostResponder implements ClientChannel {
  readonly #res: ServerResponse;
  #sse = false;
  constructor(res: ServerResponse) {
    this.#res = res;
  }
  send(msg: Record<string, unknown>): boolean {
    if (this.#res.writableEnded || this.#res.destroyed) return false;
    if (!this.#sse) {
      this.#sse = true;
      this.#res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache, no-transform',
      });
    }
    this.#res.write(`event: message\ndata: ${JSON.stringify(msg)}\n\n`);
    return true;
  }
  finish(text: string): void {
    if (this.#res.writableEnded || this.#res.destroyed) return;
    if (this.#sse) this.#res.end(`event: message\ndata: ${text}\n\n`);
    else sendJson(this.#res, 200, text);
  }
}

/** An HTTP-level refusal: the status code plus a JSON-RPC error body with id null. */
function refuse(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, errorText('null', RpcCode.INVALID_REQUEST, message));
}

function sendJson(res: ServerResponse, status: number, body: string, close = false): void {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...(close ? { Connection: 'close' } : {}),
  });
  if (close) res.once('finish', () => res.req.socket.destroy());
  res.end(body);
}
