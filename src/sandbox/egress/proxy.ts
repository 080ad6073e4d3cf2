import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { compileEgressRules } from './host-rules.ts';
import { decide, systemResolver } from './decide.ts';
import type { DecideInput, Resolver, Verdict } from './decide.ts';
import { looksLikeTls, rewriteTunnelled, scannable, scrubText } from './tunnel-rewrite.ts';
import { interceptTls } from './tls-intercept.ts';
import { systemTrustPem } from './sandbox-ca.ts';
import type { SandboxCa } from './sandbox-ca.ts';

/** One egress decision, reported when the connection ends (or at once when refused). */
export interface EgressEvent {
  readonly allowed: boolean;
  readonly host: string;
  readonly port: number;
  readonly reason: string;
  /** Bytes from the remote to the sandbox. */
  readonly bytesIn: number;
  /** Bytes from the sandbox to the remote. */
  readonly bytesOut: number;
  readonly sandboxId: string;
  readonly kind: 'connect' | 'http';
}

export interface EgressProxyOptions {
  /** Unix socket path to listen on, or a TCP port on 127.0.0.1 when a number (tests, benches). */
  readonly socketPath: string | number;
  readonly sandboxId: string;
  readonly allowHosts: readonly string[];
  readonly allowPorts?: readonly number[] | undefined;
  readonly onDecision?: ((e: EgressEvent) => void) | undefined;
  readonly resolve?: Resolver | undefined;
  /**
   * Optional inspection of plain-HTTP requests (full URL) for DLP (EX-2); return a reason to
   * refuse. TLS tunnels are not inspected (only the rewrite hook's bound hosts are intercepted).
   */
  readonly inspectUrl?: ((url: string) => string | undefined) | undefined;
  /**
   * Optional rewrite of each plain-HTTP request (secret placeholders, issue 5 / CD-5): gets the
   * authorized `host:port`, the absolute URL, headers and the whole body; returns the request to
   * send or a reason to refuse (403). HTTPS is rewritten only for the hosts `rewrite.binds` names,
   * and only with `ca`; every other TLS tunnel is opaque.
   */
  readonly rewrite?: EgressRewrite | undefined;
  /**
   * The sandbox's CA. With it and `rewrite.binds`, a CONNECT to a bound host whose first bytes are
   * a TLS handshake is terminated here (leaf minted by this CA), rewritten like plain HTTP and
   * sent on over verified TLS. Without it, every TLS tunnel is opaque.
   */
  readonly ca?: SandboxCa | undefined;
}

/** A plain-HTTP request as the egress rewrite hook sees it. */
export interface EgressHttpRequest {
  readonly host: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: string | Buffer | undefined;
}

export type EgressRewriteResult =
  | { readonly ok: true; readonly request: EgressHttpRequest }
  | { readonly ok: false; readonly reason: string };

/** Turns one response body from a bound host into what may enter the sandbox (streaming). */
export interface ResponseScrubber {
  push(chunk: Buffer): Buffer;
  flush(): Buffer;
}

/**
 * The rewrite hook: called on every request the proxy can read (plain HTTP, and HTTPS to bound
 * hosts when the sandbox has a CA). The optional members turn on the rest of the placeholder
 * machinery: `binds` says which `host:port` authorities have a secret bound (only their HTTPS is
 * intercepted; every other CONNECT stays an opaque tunnel), `scrubber` rewrites what those hosts
 * answer (a real value echoed back becomes the placeholder again), and `upstreamCa` adds
 * explicitly configured CAs (PEM) to the system trust store for TLS to bound hosts. There is no
 * way to turn upstream certificate verification off.
 */
export interface EgressRewrite {
  (req: EgressHttpRequest): EgressRewriteResult;
  readonly binds?: ((authority: string) => boolean) | undefined;
  readonly scrubber?: (() => ResponseScrubber) | undefined;
  readonly upstreamCa?: readonly string[] | undefined;
}

/** Largest request body the rewrite hook buffers; a bigger one is refused (413). */
const MAX_REWRITE_BODY = 8 * 1024 * 1024;

export interface EgressProxy {
  readonly socketPath: string;
  /** TCP port when listening on TCP. */
  readonly port: number | undefined;
  close(): Promise<void>;
}

function parseAuthority(a: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(a);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return { host: m[1], port: Number(m[2]) };
}

type Report = (v: Verdict, kind: EgressEvent['kind'], bytesIn: number, bytesOut: number) => void;

interface Interception {
  readonly ca: SandboxCa;
  /** PEM trust anchors for TLS to bound hosts: the system store plus `rewrite.upstreamCa`. */
  readonly trust: string;
}

function onConnect(
  input: DecideInput,
  rewrite: EgressRewrite | undefined,
  interception: Interception | undefined,
  report: Report,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
): void {
  client.on('error', () => client.destroy());
  const target = parseAuthority(req.url ?? '');
  const refuse = (status: string, v: Verdict): void => {
    report(v, 'connect', 0, 0);
    client.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  };
  if (!target)
    return refuse('400 Bad Request', { allowed: false, host: '?', port: 0, reason: 'bad-authority' });
  void decide(input, target.host, target.port)
    .then((v) =>
      rewrite !== undefined && v.allowed
        ? peekTunnel(rewrite, interception, v, report, client, head)
        : tunnel(v, report, client, head, refuse),
    )
    .catch(() => client.destroy());
}

function tunnel(
  v: Verdict,
  report: Report,
  client: Duplex,
  head: Buffer,
  refuse: (s: string, v: Verdict) => void,
): void {
  if (!v.allowed) return refuse('403 Forbidden', v);
  const up: Socket = connect({ host: v.address, port: v.port });
  let bytesIn = 0;
  let bytesOut = head.length;
  up.on('data', (d: Buffer) => (bytesIn += d.length));
  client.on('data', (d: Buffer) => (bytesOut += d.length));
  up.once('connect', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) up.write(head);
    up.pipe(client);
    client.pipe(up);
  });
  up.once('error', () => {
    if (bytesIn === 0)
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    else client.destroy();
  });
  client.once('close', () => up.destroy());
  up.once('close', () => {
    client.destroy();
    report(v, 'connect', bytesIn, bytesOut);
  });
}

/**
 * With a rewrite hook: answer the CONNECT at once and look at the first bytes. TLS is tunnelled
 * untouched; plain HTTP (which Node's agents and undici tunnel too) goes through the hook.
 */
function peekTunnel(
  rewrite: EgressRewrite,
  interception: Interception | undefined,
  v: Verdict & { allowed: true },
  report: Report,
  client: Duplex,
  head: Buffer,
): void {
  const outcome = (o: { refused?: string; bytesIn: number; bytesOut: number }): void =>
    report(
      o.refused === undefined ? v : { ...v, allowed: false, reason: o.refused },
      'connect',
      o.bytesIn,
      o.bytesOut,
    );
  const authority = `${v.host.includes(':') ? `[${v.host}]` : v.host}:${v.port}`;
  const go = (first: Buffer): void => {
    if (!looksLikeTls(first)) return rewriteTunnelled(rewrite, v, client, first, outcome);
    if (interception !== undefined && rewrite.binds?.(authority) === true) {
      client.pause(); // the TLS layer reads from here on
      return interceptTls({ rewrite, target: v, ...interception }, client, first, outcome);
    }
    client.pause(); // nothing is read (and lost) before the upstream connection is up
    const up: Socket = connect({ host: v.address, port: v.port });
    let bytesIn = 0;
    let bytesOut = first.length;
    up.on('data', (d: Buffer) => (bytesIn += d.length));
    up.once('connect', () => {
      client.on('data', (d: Buffer) => (bytesOut += d.length));
      up.write(first);
      up.pipe(client);
      client.pipe(up);
    });
    up.once('error', () => client.destroy());
    client.once('close', () => up.destroy());
    up.once('close', () => {
      client.destroy();
      report(v, 'connect', bytesIn, bytesOut);
    });
  };
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) return go(head);
  client.once('data', (d: Buffer) => go(d));
}

function onRequest(
  input: DecideInput,
  opts: EgressProxyOptions,
  report: Report,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const raw = req.url ?? '';
  const deny = (status: number, v: Verdict): void => {
    report(v, 'http', 0, 0);
    res
      .writeHead(status, { 'content-type': 'text/plain', connection: 'close' })
      .end(`warden egress: ${v.reason}\n`);
  };
  const m = /^http:\/\/([^/?#]*)/i.exec(raw);
  if (!m || m[1] === undefined)
    return deny(400, { allowed: false, host: '?', port: 0, reason: 'not-absolute-http-url' });
  const authority = m[1];
  if (authority.includes('@')) return deny(403, { allowed: false, host: '?', port: 0, reason: 'userinfo' });
  const target = parseAuthority(
    authority.includes(':') && !authority.endsWith(']') ? authority : `${authority}:80`,
  );
  if (!target) return deny(400, { allowed: false, host: '?', port: 0, reason: 'bad-authority' });
  const path = raw.slice(m[0].length) || '/';
  void decide(input, target.host, target.port)
    .then((v) => {
      if (!v.allowed) return deny(403, v);
      const dlp = opts.inspectUrl?.(raw);
      if (dlp) return deny(403, { allowed: false, host: v.host, port: v.port, reason: dlp });
      if (opts.rewrite !== undefined) return rewritten(opts.rewrite, v, report, req, res, deny);
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      delete headers['proxy-connection'];
      headers['connection'] = 'close';
      // the Host the upstream sees is the authority that was authorized, never a client-chosen one
      headers['host'] = v.port === 80 ? v.host : `${v.host.includes(':') ? `[${v.host}]` : v.host}:${v.port}`;
      let bytesIn = 0;
      let bytesOut = 0;
      req.on('data', (d: Buffer) => (bytesOut += d.length));
      const up = httpRequest({
        host: v.address,
        port: v.port,
        method: req.method,
        path: path.startsWith('/') ? path : `/${path}`,
        headers,
        setHost: false,
      });
      up.on('response', (ur) => {
        ur.on('data', (d: Buffer) => (bytesIn += d.length));
        ur.on('end', () => report(v, 'http', bytesIn, bytesOut));
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => {
        report(
          { allowed: false, host: v.host, port: v.port, reason: 'upstream-failed' },
          'http',
          bytesIn,
          bytesOut,
        );
        if (!res.headersSent) res.writeHead(502, { connection: 'close' });
        res.end();
      });
      req.pipe(up);
    })
    .catch(() => res.destroy());
}

/** Buffers the body, lets the rewrite hook decide, then sends the rewritten request. */
function rewritten(
  rewrite: EgressRewrite,
  v: Verdict & { allowed: true },
  report: Report,
  req: IncomingMessage,
  res: ServerResponse,
  deny: (status: number, v: Verdict) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (d: Buffer) => {
    size += d.length;
    if (size <= MAX_REWRITE_BODY) chunks.push(d);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (size > MAX_REWRITE_BODY)
      return deny(413, { allowed: false, host: v.host, port: v.port, reason: 'body-too-large-to-inspect' });
    const authority = v.port === 80 ? v.host : `${v.host.includes(':') ? `[${v.host}]` : v.host}:${v.port}`;
    const headers: Record<string, string | string[]> = {};
    for (const [k, x] of Object.entries(req.headers)) if (x !== undefined) headers[k] = x;
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const hostPort = `${v.host.includes(':') ? `[${v.host}]` : v.host}:${v.port}`;
    const r = rewrite({
      host: hostPort,
      url: req.url ?? '',
      headers,
      ...(size > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    if (!r.ok) return deny(403, { allowed: false, host: v.host, port: v.port, reason: r.reason });
    const scrubber = rewrite.binds?.(hostPort) === true ? rewrite.scrubber : undefined;
    const body = r.request.body === undefined ? undefined : Buffer.from(r.request.body);
    const out: Record<string, string | string[]> = {};
    for (const [k, x] of Object.entries(r.request.headers)) out[k] = typeof x === 'string' ? x : [...x];
    out['connection'] = 'close';
    out['host'] = authority;
    delete out['transfer-encoding'];
    // a bound host's answer is scrubbed before it enters the sandbox, so it must come uncompressed
    if (scrubber !== undefined) out['accept-encoding'] = 'identity';
    if (body !== undefined) out['content-length'] = String(body.length);
    const m = /^http:\/\/[^/?#]*(.*)$/i.exec(r.request.url);
    const path = m?.[1] || '/';
    let bytesIn = 0;
    const up = httpRequest({
      host: v.address,
      port: v.port,
      method: req.method,
      path: path.startsWith('/') ? path : `/${path}`,
      headers: out,
      setHost: false,
    });
    up.on('response', (ur) => {
      const scrub = scrubber?.();
      if (scrub !== undefined && !scannable(ur)) {
        ur.destroy();
        return deny(502, {
          allowed: false,
          host: v.host,
          port: v.port,
          reason: 'compressed-response-from-bound-host cannot be scanned for secrets',
        });
      }
      ur.on('data', (d: Buffer) => (bytesIn += d.length));
      ur.on('end', () => report(v, 'http', bytesIn, body?.length ?? 0));
      if (scrub === undefined || scrubber === undefined) {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        return;
      }
      const hs: Record<string, string | string[]> = {};
      for (const [k, x] of Object.entries(ur.headers)) {
        if (x === undefined || k === 'content-length' || k === 'transfer-encoding' || k === 'connection')
          continue;
        hs[k] = typeof x === 'string' ? scrubText(scrubber, x) : x.map((y) => scrubText(scrubber, y));
      }
      res.writeHead(ur.statusCode ?? 502, hs);
      ur.on('data', (d: Buffer) => res.write(scrub.push(d)));
      ur.on('end', () => res.end(scrub.flush()));
    });
    up.on('error', () => {
      report({ allowed: false, host: v.host, port: v.port, reason: 'upstream-failed' }, 'http', bytesIn, 0);
      if (!res.headersSent) res.writeHead(502, { connection: 'close' });
      res.end();
    });
    up.end(body);
  });
}

/** Starts one sandbox's egress proxy (HTTP forwarding and CONNECT) on a Unix socket. */
export function startEgressProxy(opts: EgressProxyOptions): Promise<EgressProxy> {
  const input: DecideInput = {
    rules: compileEgressRules(opts.allowHosts),
    extraPorts: opts.allowPorts ?? [],
    resolve: opts.resolve ?? systemResolver,
  };
  const interception: Interception | undefined =
    opts.ca === undefined || opts.rewrite?.binds === undefined
      ? undefined
      : { ca: opts.ca, trust: systemTrustPem() + (opts.rewrite.upstreamCa ?? []).join('\n') };
  const report: Report = (v, kind, bytesIn, bytesOut) => {
    const e: EgressEvent = {
      allowed: v.allowed,
      host: v.host,
      port: v.port,
      reason: v.reason,
      bytesIn,
      bytesOut,
      sandboxId: opts.sandboxId,
      kind,
    };
    try {
      opts.onDecision?.(e);
    } catch {
      // a failing observer must not break the proxy
    }
  };
  const server = createServer({ requestTimeout: 0, headersTimeout: 30_000 }, (req, res) =>
    onRequest(input, opts, report, req, res),
  );
  server.on('connect', (req: IncomingMessage, sock: Duplex, head: Buffer) =>
    onConnect(input, opts.rewrite, interception, report, req, sock, head),
  );
  server.on('clientError', (_e, sock: Duplex) => sock.destroy());
  const sockets = new Set<Duplex>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ready = (): void => {
      const addr = server.address();
      resolve({
        socketPath: typeof opts.socketPath === 'string' ? opts.socketPath : '',
        port: addr && typeof addr === 'object' ? addr.port : undefined,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            if (!server.listening) return done();
            server.close(() => done());
            if (typeof opts.socketPath === 'string') rmSync(opts.socketPath, { force: true });
          }),
      });
    };
    if (typeof opts.socketPath === 'number') server.listen(opts.socketPath, '127.0.0.1', ready);
    else server.listen(opts.socketPath, ready);
  });
}
