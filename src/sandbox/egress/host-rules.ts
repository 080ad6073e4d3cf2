import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { SandboxError } from '../errors.ts';

/**
 * The egress allow-list matcher. Pure. Hosts are compared in one canonical form: lowercase
 * ASCII (IDN → punycode), no trailing dot, IPv4 in dotted-quad (numeric/octal/hex forms are
 * canonicalised by the WHATWG parser), IPv6 compressed without brackets.
 */
export type EgressRule =
  | { readonly kind: 'exact'; readonly host: string; readonly port?: number | undefined }
  | { readonly kind: 'suffix'; readonly suffix: string; readonly port?: number | undefined }
  | { readonly kind: 'ip'; readonly ip: string; readonly port?: number | undefined };

export type HostCheck = { ok: true; host: string; isIp: boolean } | { ok: false; reason: string };

const FORBIDDEN = /[\0-\x20@/\\#?%*\x7f]/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Canonicalises a host (no port). Rejects userinfo, NUL, spaces, path characters, bad labels. */
export function canonicalHost(raw: string): HostCheck {
  if (raw.length === 0 || raw.length > 260) return { ok: false, reason: 'invalid-host' };
  const unbracketed = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (isIP(unbracketed) === 6) {
    const h = new URL(`http://[${unbracketed}]/`).hostname.slice(1, -1);
    return { ok: true, host: h, isIp: true };
  }
  if (FORBIDDEN.test(raw) || raw.includes('[') || raw.includes(']') || raw.includes(':')) {
    return { ok: false, reason: raw.includes('@') ? 'userinfo' : 'invalid-host' };
  }
  let host: string;
  try {
    host = new URL(`http://${raw}/`).hostname;
  } catch {
    return { ok: false, reason: 'invalid-host' };
  }
  if (isIP(host) === 4) return { ok: true, host, isIp: true };
  host = domainToASCII(host.endsWith('.') ? host.slice(0, -1) : host);
  if (host.length === 0 || host.length > 253) return { ok: false, reason: 'invalid-host' };
  if (!host.split('.').every((l) => LABEL.test(l))) return { ok: false, reason: 'invalid-host' };
  return { ok: true, host, isIp: false };
}

function splitPort(raw: string): { host: string; port?: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(raw);
  if (!m || m[1] === undefined || m[2] === undefined) return { host: raw };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new SandboxError('ERR_SANDBOX_CONFIG', `egress rule ${raw}: bad port`);
  return { host: m[1], port };
}

/** Parses one allow-list entry; the reason says why an entry is refused. */
export function parseEgressRule(raw: string): EgressRule {
  const bad = (why: string): never => {
    throw new SandboxError('ERR_SANDBOX_CONFIG', `egress rule ${JSON.stringify(raw)} rejected: ${why}`);
  };
  const { host, port } = splitPort(raw.trim());
  if (host === '*' || host === '*.') bad('"*" would allow every host');
  if (host.startsWith('*.')) {
    const c = canonicalHost(host.slice(2));
    if (!c.ok) return bad(`not a host name (${c.reason})`);
    if (c.isIp) return bad('wildcards over IP addresses are not allowed');
    if (!c.host.includes('.')) return bad('a wildcard over a bare top-level domain is too broad');
    return { kind: 'suffix', suffix: c.host, port };
  }
  if (host.includes('*')) bad('"*" is only allowed as the whole first label ("*.example.com")');
  const c = canonicalHost(host);
  if (!c.ok) return bad(`not a host name (${c.reason})`);
  return c.isIp ? { kind: 'ip', ip: c.host, port } : { kind: 'exact', host: c.host, port };
}

export function compileEgressRules(raw: readonly string[]): EgressRule[] {
  return raw.map(parseEgressRule);
}

/**
 * The rule allowing `host` (already canonical), or undefined. `*.example.com` matches
 * `a.example.com` and deeper, not `example.com` itself nor `badexample.com`.
 */
export function matchHost(rules: readonly EgressRule[], host: string, isIp: boolean): EgressRule | undefined {
  for (const r of rules) {
    if (r.kind === 'ip' && isIp && r.ip === host) return r;
    if (r.kind === 'exact' && !isIp && r.host === host) return r;
    if (r.kind === 'suffix' && !isIp && host.endsWith('.' + r.suffix)) return r;
  }
  return undefined;
}

/** Port policy: the rule's own port if it names one; otherwise 80, 443 and the profile's ports. */
export function portAllowed(rule: EgressRule, port: number, extraPorts: readonly number[]): boolean {
  if (rule.port !== undefined) return rule.port === port;
  return port === 80 || port === 443 || extraPorts.includes(port);
}
