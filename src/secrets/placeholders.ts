/**
 * Placeholder injection (issue 5 part 3c, CD-5, EX-2): the sandbox only ever holds a
 * placeholder such as `wdn_ph_GITHUB_TOKEN_3f9a…`; the egress proxy calls
 * `substitutePlaceholders` on each outgoing request and the real value replaces it only on
 * requests to the hosts the secret is bound to. A request that carries a placeholder or a real
 * secret (in any encoding the redactor knows) to any other host is refused.
 */
import { randomBytes } from 'node:crypto';
import { createRedactor } from './redactor.ts';
import type { Redactor } from './redactor.ts';
import { assertSecretName } from './schema.ts';
import { createResponseScrubberFactory } from './response-scrub.ts';
import type { ResponseScrubber } from './response-scrub.ts';

export const PLACEHOLDER_PREFIX = 'wdn_ph_';

/** A unique, recognisable stand-in value for secret `name` (96 random bits). */
export function placeholderFor(name: string): string {
  assertSecretName(name);
  return `${PLACEHOLDER_PREFIX}${name}_${randomBytes(12).toString('hex')}`;
}

export interface PlaceholderBinding {
  readonly name: string;
  readonly placeholder: string;
  readonly value: string;
  /** Exact hosts (`api.github.com`, or `host:port` to pin a port); no wildcards. */
  readonly hosts: readonly string[];
}

export interface OutgoingRequest {
  /** The destination the proxy will connect to (`host` or `host:port`), not a header. */
  readonly host: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: string | Buffer;
}

export type SubstituteResult =
  | { readonly ok: true; readonly request: OutgoingRequest; readonly substituted: readonly string[] }
  | { readonly ok: false; readonly reason: string };

export interface SubstituteOptions {
  /** Other secrets that must never leave (all broker values, canaries); names bound here are exempt for their hosts. */
  readonly guard?: Redactor;
}

function normalizeHost(h: string): { host: string; port: string | null } {
  const lower = h.trim().toLowerCase().replace(/\.$/, '');
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(lower);
  return m === null ? { host: lower, port: null } : { host: m[1]!.replace(/\.$/, ''), port: m[2] ?? null };
}

export function hostIsBound(bindingHosts: readonly string[], requestHost: string): boolean {
  const req = normalizeHost(requestHost);
  return bindingHosts.some((b) => {
    const bound = normalizeHost(b);
    return bound.host === req.host && (bound.port === null || bound.port === req.port);
  });
}

/** The pieces of a request that are scanned: URL, header names and values, body. */
function parts(req: OutgoingRequest): string[] {
  const out = [req.url];
  for (const [k, v] of Object.entries(req.headers)) {
    out.push(k);
    for (const x of typeof v === 'string' ? [v] : v) out.push(x);
  }
  if (typeof req.body === 'string') out.push(req.body);
  else if (req.body !== undefined) out.push(req.body.toString('utf8'), req.body.toString('latin1'));
  return out;
}

/**
 * What the egress proxy holds per sandbox: the request rewrite, which authorities have a secret
 * bound (only their HTTPS is intercepted), and a scrubber factory for what those hosts answer.
 */
export interface Substituter {
  (request: OutgoingRequest): SubstituteResult;
  /** Whether any binding names this `host` or `host:port` (TLS to it is intercepted). */
  readonly binds: (authority: string) => boolean;
  /** One scrubber per response from a bound host: real values back to placeholders. */
  readonly scrubber: () => ResponseScrubber;
}

/** Precompiles the matchers for a set of bindings; the returned function is pure. */
export function createSubstituter(
  bindings: readonly PlaceholderBinding[],
  options: SubstituteOptions = {},
): Substituter {
  for (const b of bindings) {
    assertSecretName(b.name);
    if (!b.placeholder.startsWith(PLACEHOLDER_PREFIX))
      throw new TypeError(`placeholder for ${b.name} must come from placeholderFor`);
    if (b.hosts.some((h) => h.includes('*') || h.length === 0))
      throw new TypeError(`hosts for ${b.name} must be exact`);
  }
  const placeholders = createRedactor({
    values: bindings.map((b) => ({ name: b.name, value: b.placeholder })),
  });
  const values = createRedactor({ values: bindings.map((b) => ({ name: b.name, value: b.value })) });
  const byName = new Map(bindings.map((b) => [b.name, b]));

  const rewrite = (request: OutgoingRequest): SubstituteResult => {
    const boundHere = (name: string): boolean => hostIsBound(byName.get(name)?.hosts ?? [], request.host);
    const host = normalizeHost(request.host).host;
    const used = new Set<string>();
    for (const text of parts(request)) {
      for (const m of placeholders.matchKnown(text)) {
        if (!boundHere(m.name))
          return { ok: false, reason: `placeholder for secret ${m.name} sent to unbound host ${host}` };
        if (m.encoding !== 'raw')
          return {
            ok: false,
            reason: `placeholder for secret ${m.name} is encoded (${m.encoding}) and cannot be substituted`,
          };
        used.add(m.name);
      }
      for (const m of values.matchKnown(text)) {
        if (!boundHere(m.name)) return { ok: false, reason: `secret ${m.name} sent to unbound host ${host}` };
      }
      for (const m of options.guard?.matchKnown(text) ?? []) {
        if (!(byName.has(m.name) && boundHere(m.name)))
          return { ok: false, reason: `secret ${m.name} sent to unbound host ${host}` };
      }
    }
    return substitute(
      request,
      [...used].map((n) => byName.get(n)!),
    );
  };
  return Object.assign(rewrite, {
    binds: (authority: string) => bindings.some((b) => hostIsBound(b.hosts, authority)),
    scrubber: createResponseScrubberFactory(bindings, options.guard),
  });
}

function substitute(req: OutgoingRequest, use: readonly PlaceholderBinding[]): SubstituteResult {
  if (use.length === 0) return { ok: true, request: req, substituted: [] };
  for (const b of use) {
    if (/[\r\n\0]/.test(b.value))
      return { ok: false, reason: `secret ${b.name} contains CR, LF or NUL and cannot go into a request` };
  }
  const swap = (s: string, enc: (v: string) => string): string =>
    use.reduce((acc, b) => acc.split(b.placeholder).join(enc(b.value)), s);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    headers[k] = typeof v === 'string' ? swap(v, (x) => x) : v.map((x) => swap(x, (y) => y));
  }
  let body = req.body;
  if (typeof body === 'string') body = swap(body, (x) => x);
  else if (body !== undefined)
    body = Buffer.from(
      swap(body.toString('latin1'), (x) => Buffer.from(x, 'utf8').toString('latin1')),
      'latin1',
    );
  const request: OutgoingRequest = {
    host: req.host,
    url: swap(req.url, encodeURIComponent),
    headers,
    ...(body === undefined ? {} : { body }),
  };
  return { ok: true, request, substituted: use.map((b) => b.name) };
}

/** One-shot form of `createSubstituter` (the egress proxy should precompile per sandbox). */
export function substitutePlaceholders(
  request: OutgoingRequest,
  bindings: readonly PlaceholderBinding[],
  options: SubstituteOptions = {},
): SubstituteResult {
  return createSubstituter(bindings, options)(request);
}
