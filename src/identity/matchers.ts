/**
 * The argument matchers of grants, ours on purpose (THREATS SX-2, SS-6): small, total
 * functions over a restricted glob syntax whose inclusion can be decided exactly.
 */

// ---------- paths ----------

export type PathGlob = { readonly base: readonly string[]; readonly mode: 'exact' | 'children' | 'tree' };

const SEGMENT_RE = /^[^/\0\\*]+$/;

/**
 * Parses a path glob: an absolute, already-normal POSIX path (`/a/b`), optionally ending in
 * `/*` (direct children) or `/**` (the directory itself and everything below). No other `*`.
 */
export function parsePathGlob(glob: string): PathGlob | null {
  if (!glob.startsWith('/') || glob.length > 1024) return null;
  let mode: PathGlob['mode'] = 'exact';
  let rest = glob;
  if (glob.endsWith('/**')) {
    mode = 'tree';
    rest = glob.slice(0, -3);
  } else if (glob.endsWith('/*')) {
    mode = 'children';
    rest = glob.slice(0, -2);
  }
  if (rest === '' || rest === '/') return { base: [], mode };
  const segs = rest.slice(1).split('/');
  for (const s of segs) if (!SEGMENT_RE.test(s) || s === '.' || s === '..') return null;
  return { base: segs, mode };
}

/**
 * Normalises a path argument to its segments, or explains why it is refused: it must be a
 * string, absolute, free of NUL and backslashes, and contain no `..` segment (no escapes
 * through normalisation or symlinked parents). Empty and `.` segments are dropped.
 */
export function normalizePath(value: unknown): { ok: true; segs: string[] } | { ok: false; reason: string } {
  if (typeof value !== 'string') return { ok: false, reason: 'not a string' };
  if (value.length > 4096) return { ok: false, reason: 'path too long' };
  if (!value.startsWith('/')) return { ok: false, reason: 'not an absolute path' };
  if (value.includes('\0')) return { ok: false, reason: 'contains NUL' };
  if (value.includes('\\')) return { ok: false, reason: 'contains a backslash' };
  const segs: string[] = [];
  for (const s of value.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') return { ok: false, reason: 'contains a .. segment' };
    segs.push(s);
  }
  return { ok: true, segs };
}

function hasPrefix(segs: readonly string[], prefix: readonly string[]): boolean {
  if (segs.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (segs[i] !== prefix[i]) return false;
  return true;
}

export function pathGlobMatches(g: PathGlob, segs: readonly string[]): boolean {
  switch (g.mode) {
    case 'exact':
      return segs.length === g.base.length && hasPrefix(segs, g.base);
    case 'children':
      return segs.length === g.base.length + 1 && hasPrefix(segs, g.base);
    case 'tree':
      return hasPrefix(segs, g.base);
  }
}

/** L(child) ⊆ L(parent), decided exactly for this glob syntax. */
export function pathGlobWithin(child: PathGlob, parent: PathGlob): boolean {
  switch (parent.mode) {
    case 'exact':
      return child.mode === 'exact' && pathGlobMatches(parent, child.base);
    case 'children':
      if (child.mode === 'exact') return pathGlobMatches(parent, child.base);
      return (
        child.mode === 'children' &&
        child.base.length === parent.base.length &&
        hasPrefix(child.base, parent.base)
      );
    case 'tree':
      return hasPrefix(child.base, parent.base);
  }
}

// ---------- hosts ----------

export type HostPattern = { readonly host: string; readonly wildcard: boolean; readonly port: string };

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_RE = new RegExp(`^(\\*\\.)?(${LABEL}(?:\\.${LABEL})*)(?::([0-9]{1,5}))?$`);

/** `api.example.com`, `*.example.com` (subdomains only, at least two labels) with optional `:port`. */
export function parseHostPattern(entry: string): HostPattern | null {
  const m = HOST_RE.exec(entry);
  if (m === null) return null;
  const wildcard = m[1] !== undefined;
  const host = m[2]!;
  if (wildcard && !host.includes('.')) return null;
  const port = m[3] ?? '';
  if (port !== '' && (Number(port) < 1 || Number(port) > 65535 || port.startsWith('0'))) return null;
  return { host, wildcard, port };
}

/**
 * Extracts the host and port of a URL argument, refusing the parser-differential shapes of
 * THREATS SS-6: non-http(s) schemes, userinfo (even empty), backslashes, control characters.
 * The port is '' for the scheme's default.
 */
export function urlAuthority(
  value: unknown,
): { ok: true; host: string; port: string } | { ok: false; reason: string } {
  if (typeof value !== 'string') return { ok: false, reason: 'not a string' };
  if (value.length > 2048) return { ok: false, reason: 'URL too long' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f\\]/.test(value))
    return { ok: false, reason: 'control character, space or backslash' };
  const m = /^(https?):\/\/([^/?#]*)/i.exec(value);
  if (m === null) return { ok: false, reason: 'not an http(s) URL' };
  if (m[2]!.includes('@')) return { ok: false, reason: 'userinfo is not allowed' };
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (u.username !== '' || u.password !== '') return { ok: false, reason: 'userinfo is not allowed' };
  const host = u.hostname.toLowerCase().replace(/\.$/, '');
  if (host === '') return { ok: false, reason: 'no host' };
  return { ok: true, host, port: u.port };
}

export function hostMatches(p: HostPattern, host: string, port: string): boolean {
  if (p.port !== port) return false;
  return p.wildcard ? host.endsWith('.' + p.host) : host === p.host;
}

export function hostPatternWithin(child: HostPattern, parent: HostPattern): boolean {
  if (child.port !== parent.port) return false;
  if (!parent.wildcard) return !child.wildcard && child.host === parent.host;
  return child.host.endsWith('.' + parent.host) || (child.wildcard && child.host === parent.host);
}

// ---------- tool names ----------

/** Tool patterns: an exact name, or a prefix followed by one trailing `*`. */
export const TOOL_PATTERN_RE = /^[A-Za-z0-9_./-]{0,128}\*?$/;

export function toolPatternMatches(pattern: string, tool: string): boolean {
  return pattern.endsWith('*') ? tool.startsWith(pattern.slice(0, -1)) : tool === pattern;
}

/** L(child) ⊆ L(parent). */
export function toolPatternWithin(child: string, parent: string): boolean {
  if (!parent.endsWith('*')) return child === parent;
  const prefix = parent.slice(0, -1);
  return child.startsWith(prefix);
}
