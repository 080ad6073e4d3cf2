/**
 * Argument features the baselines learn and the scope detector compares: value types and
 * lengths, path prefixes, URL/e-mail hosts. Pure and bounded (depth, count and size caps).
 */
import { posix } from 'node:path';

export interface ArgFeature {
  /** Parameter name (nested keys joined with '.'). */
  readonly param: string;
  readonly type: 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';
  readonly length: number;
  /** Short scalar value (for small value sets), if short enough. */
  readonly value?: string;
  /** Normalized absolute path, if the value looks like one. */
  readonly path?: string;
  /** Lower-case host, if the value is a URL or an e-mail address. */
  readonly host?: string;
}

const MAX_FEATURES = 32;
const MAX_VALUE = 64;
const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;
const EMAIL_RE = /^[^\s@<>]+@([a-z0-9.-]+\.[a-z]{2,})$/i;

/** Extracts features from redacted arguments (top level and one nested level). */
export function argFeatures(args: Readonly<Record<string, unknown>> | undefined): ArgFeature[] {
  const out: ArgFeature[] = [];
  if (!args) return out;
  for (const [k, v] of Object.entries(args)) {
    if (out.length >= MAX_FEATURES) break;
    out.push(feature(k, v));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>).slice(0, 8)) {
        if (out.length >= MAX_FEATURES) break;
        out.push(feature(`${k}.${k2}`, v2));
      }
    } else if (Array.isArray(v)) {
      for (const item of v.slice(0, 4)) {
        if (out.length >= MAX_FEATURES) break;
        if (typeof item === 'string') out.push(feature(`${k}[]`, item));
      }
    }
  }
  return out;
}

function feature(param: string, v: unknown): ArgFeature {
  if (v === null) return { param, type: 'null', length: 0 };
  if (Array.isArray(v)) return { param, type: 'array', length: v.length };
  switch (typeof v) {
    case 'string':
      return stringFeature(param, v);
    case 'number':
    case 'bigint':
      return { param, type: 'number', length: String(v).length, value: String(v) };
    case 'boolean':
      return { param, type: 'boolean', length: 1, value: String(v) };
    case 'object':
      return { param, type: 'object', length: Object.keys(v).length };
    default:
      return { param, type: 'null', length: 0 };
  }
}

function stringFeature(param: string, v: string): ArgFeature {
  const length = v.length;
  const value = length <= MAX_VALUE ? v : undefined;
  const path = asPath(v);
  if (path !== undefined) return { param, type: 'string', length, value, path };
  const host = asHost(v);
  if (host !== undefined) return { param, type: 'string', length, value, host };
  return { param, type: 'string', length, value };
}

/** A normalized absolute POSIX path ('..' resolved), or undefined if `v` is not path-like. */
export function asPath(v: string): string | undefined {
  let s = v.trim();
  if (s.length === 0 || s.length > 4096 || s.includes('\n')) return undefined;
  if (s.startsWith('file://')) s = decodeURIComponentSafe(s.slice('file://'.length));
  if (s.startsWith('~/')) s = '/~/' + s.slice(2);
  if (!s.startsWith('/')) return undefined;
  const n = s.includes('/.') || s.includes('//') ? posix.normalize(s) : s;
  return n.replace(/\/+$/, '') || '/';
}

/** The lower-case host of a URL or e-mail address, or undefined. */
export function asHost(v: string): string | undefined {
  if (v.length > 4096 || (!v.includes('://') && !v.includes('@'))) return undefined;
  const s = v.trim();
  if (URL_RE.test(s) && !s.startsWith('file:')) {
    try {
      const h = new URL(s).hostname.toLowerCase();
      return h.length > 0 ? h : undefined;
    } catch {
      return undefined;
    }
  }
  const m = EMAIL_RE.exec(s);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Prefixes at depths 1..n of a normalized absolute path: ['/a', '/a/b', …]. */
export function pathPrefixes(path: string, n: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (out.length < n) {
    const next = path.indexOf('/', i + 1);
    if (next < 0) {
      if (i + 1 < path.length) out.push(path);
      break;
    }
    out.push(path.slice(0, next));
    i = next;
  }
  return out;
}

/** The first `depth` segments of an absolute path: pathPrefix('/a/b/c', 2) = '/a/b'. */
export function pathPrefix(path: string, depth: number): string {
  const segs = path.split('/').filter((s) => s.length > 0);
  return '/' + segs.slice(0, depth).join('/');
}

/** True when a path has a hidden (dot) segment or a well-known credential location. */
export function isSensitivePath(path: string): boolean {
  return /(^|\/)\.[^/.][^/]*(\/|$)|^\/(etc|proc|sys|root|var\/run)(\/|$)|id_rsa|id_ed25519|credentials|\.pem$|\.key$/i.test(
    path,
  );
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
