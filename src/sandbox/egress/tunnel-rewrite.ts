/**
 * Plain HTTP inside a CONNECT tunnel, for the egress rewrite hook (secret placeholders, CD-5).
 * Node's http agents and undici's proxy agent tunnel even `http://` requests through CONNECT, so
 * when a rewrite hook is set the proxy looks at the first bytes of an allowed tunnel: TLS (0x16)
 * is tunnelled untouched (opaque: a placeholder inside stays a placeholder) unless the host is
 * bound and the sandbox has a CA (then tls-intercept.ts terminates it and hands the decrypted
 * stream here, with `TunnelTarget.tls` set); anything else is read as one HTTP/1.1 request (headers, and a Content-Length body; chunked bodies are refused
 * with 411), passed to the hook, sent upstream, and answered with `Connection: close`. A bound
 * host is asked for `accept-encoding: identity` and its answer is scrubbed (real values back to
 * placeholders); a compressed answer is refused (502), since it cannot be scanned.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { EgressRewrite, ResponseScrubber } from './proxy.ts';

const MAX_HEAD = 64 * 1024;
const MAX_BODY = 8 * 1024 * 1024;

export interface TunnelTarget {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  /**
   * Set when the proxy terminated the sandbox's TLS (a bound host): the request is sent over TLS,
   * verified against these trust anchors (PEM: the system store plus any configured extra CA).
   */
  readonly tls?: { readonly trust: string } | undefined;
}

export interface TunnelOutcome {
  readonly refused?: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** Whether the first byte of a tunnel is a TLS handshake record. */
export function looksLikeTls(first: Buffer): boolean {
  return first.length > 0 && first[0] === 0x16;
}

function reply(client: Duplex, status: string, body: string): void {
  client.end(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Reads one request from `client` (starting with `first`), rewrites it and relays the answer. */
export function rewriteTunnelled(
  rewrite: EgressRewrite,
  t: TunnelTarget,
  client: Duplex,
  first: Buffer,
  done: (o: TunnelOutcome) => void,
): void {
  let buf = first;
  const onData = (d: Buffer): void => {
    buf = Buffer.concat([buf, d]);
    step();
  };
  const finish = (o: TunnelOutcome): void => {
    client.off('data', onData);
    done(o);
  };
  const step = (): void => {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buf.length > MAX_HEAD) {
        reply(client, '431 Request Header Fields Too Large', 'warden egress: request head too large\n');
        finish({ refused: 'head-too-large', bytesIn: 0, bytesOut: 0 });
      }
      return;
    }
    const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
    const [method, target] = (lines[0] ?? '').split(' ');
    const headers: Record<string, string | string[]> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i <= 0) continue;
      const k = l.slice(0, i).trim().toLowerCase();
      const v = l.slice(i + 1).trim();
      const prev = headers[k];
      headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    if (method === undefined || target === undefined || !/^[A-Z]+$/.test(method)) {
      reply(client, '400 Bad Request', 'warden egress: not an HTTP request\n');
      return finish({ refused: 'bad-request', bytesIn: 0, bytesOut: 0 });
    }
    if (headers['transfer-encoding'] !== undefined) {
      reply(client, '411 Length Required', 'warden egress: send a Content-Length body\n');
      return finish({ refused: 'chunked-body', bytesIn: 0, bytesOut: 0 });
    }
    const length = Number(headers['content-length'] ?? 0);
    if (!Number.isInteger(length) || length < 0 || length > MAX_BODY) {
      reply(client, '413 Payload Too Large', 'warden egress: body too large to inspect\n');
      return finish({ refused: 'body-too-large-to-inspect', bytesIn: 0, bytesOut: 0 });
    }
    if (buf.length < end + 4 + length) return;
    client.off('data', onData);
    relay(
      rewrite,
      t,
      client,
      { method, target, headers, body: buf.subarray(end + 4, end + 4 + length) },
      done,
    );
  };
  client.on('data', onData);
  step();
}

/** Upstream request options: plain HTTP, or TLS verified against `t.tls.trust` and the host name. */
function upstream(t: TunnelTarget, method: string, path: string, headers: Record<string, string | string[]>) {
  const common = { host: t.address, port: t.port, method, path, headers, setHost: false };
  if (t.tls === undefined) return httpRequest(common);
  return httpsRequest({
    ...common,
    ca: t.tls.trust,
    rejectUnauthorized: true,
    ...(isIP(t.host) === 0 ? { servername: t.host } : {}),
    checkServerIdentity: (_h: string, cert) => checkServerIdentity(t.host, cert),
    agent: false,
  });
}

/** Whether a response body is in a form the scrubber can read (no content coding). */
export function scannable(ur: IncomingMessage): boolean {
  const ce = String(ur.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  return ce === '' || ce === 'identity';
}

/** Response head lines for the client, with header values scrubbed when `scrub` is set. */
function responseHead(ur: IncomingMessage, scrub: (() => ResponseScrubber) | undefined): string {
  const head = [`HTTP/1.1 ${ur.statusCode ?? 502} ${ur.statusMessage ?? ''}`];
  for (let i = 0; i + 1 < ur.rawHeaders.length; i += 2) {
    const k = ur.rawHeaders[i]!.toLowerCase();
    if (k === 'connection' || k === 'transfer-encoding' || k === 'keep-alive') continue;
    if (scrub !== undefined && k === 'content-length') continue; // the body may change length
    const v = ur.rawHeaders[i + 1]!;
    head.push(`${ur.rawHeaders[i]}: ${scrub === undefined ? v : scrubText(scrub, v)}`);
  }
  head.push('Connection: close');
  return head.join('\r\n') + '\r\n\r\n';
}

/** Scrubs one complete string with a fresh pass of a scrubber (header values). */
export function scrubText(make: () => ResponseScrubber, text: string): string {
  const s = make();
  return Buffer.concat([s.push(Buffer.from(text, 'latin1')), s.flush()]).toString('latin1');
}

function relay(
  rewrite: EgressRewrite,
  t: TunnelTarget,
  client: Duplex,
  req: { method: string; target: string; headers: Record<string, string | string[]>; body: Buffer },
  done: (o: TunnelOutcome) => void,
): void {
  const authority = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  const path = req.target.startsWith('/')
    ? req.target
    : (/^https?:\/\/[^/?#]*(.*)$/i.exec(req.target)?.[1] ?? '/');
  delete req.headers['proxy-authorization'];
  delete req.headers['proxy-connection'];
  const scheme = t.tls === undefined ? 'http' : 'https';
  const r = rewrite({
    host: authority,
    url: `${scheme}://${authority}${path || '/'}`,
    headers: req.headers,
    ...(req.body.length > 0 ? { body: req.body } : {}),
  });
  if (!r.ok) {
    reply(client, '403 Forbidden', `warden egress: ${r.reason}\n`);
    return done({ refused: r.reason, bytesIn: 0, bytesOut: 0 });
  }
  const bound = rewrite.binds?.(authority) === true;
  const body = r.request.body === undefined ? undefined : Buffer.from(r.request.body);
  const headers: Record<string, string | string[]> = {};
  for (const [k, x] of Object.entries(r.request.headers)) headers[k] = typeof x === 'string' ? x : [...x];
  headers['host'] = t.port === (t.tls === undefined ? 80 : 443) ? t.host : authority;
  headers['connection'] = 'close';
  // a bound host's answer is scrubbed before it enters the sandbox, so it must come uncompressed
  if (bound) headers['accept-encoding'] = 'identity';
  if (body !== undefined) headers['content-length'] = String(body.length);
  const outPath = /^https?:\/\/[^/?#]*(.*)$/i.exec(r.request.url)?.[1] || '/';
  let bytesIn = 0;
  const up = upstream(t, req.method, outPath, headers);
  up.on('response', (ur) => {
    const scrubber = bound ? rewrite.scrubber : undefined;
    const scrub = scrubber?.();
    if (scrub !== undefined && !scannable(ur)) {
      ur.destroy();
      const why = 'compressed-response-from-bound-host';
      reply(client, '502 Bad Gateway', `warden egress: ${why} cannot be scanned for secrets\n`);
      return done({ refused: why, bytesIn, bytesOut: body?.length ?? 0 });
    }
    client.write(responseHead(ur, scrubber));
    ur.on('data', (d: Buffer) => {
      bytesIn += d.length;
      client.write(scrub === undefined ? d : scrub.push(d));
    });
    ur.on('end', () => {
      client.end(scrub?.flush());
      done({ bytesIn, bytesOut: body?.length ?? 0 });
    });
  });
  up.on('error', (e: NodeJS.ErrnoException) => {
    const why =
      t.tls !== undefined && /CERT|SELF_SIGNED|ALTNAME|VERIFY/i.test(e.code ?? '')
        ? 'upstream-certificate-rejected'
        : 'upstream-failed';
    reply(client, '502 Bad Gateway', `warden egress: ${why}\n`);
    done({ refused: why, bytesIn, bytesOut: 0 });
  });
  up.end(body);
}
