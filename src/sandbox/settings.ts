import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import type { SandboxOverrides } from './profile.ts';
import { sandboxSettingsSchema } from './schema.ts';

/** One problem in a `sandbox:` block, with its dotted path from the root of warden.yaml. */
export interface SettingsIssue {
  readonly path: string;
  readonly message: string;
}

export type SettingsResult =
  | { readonly ok: true; readonly value: SandboxOverrides }
  | { readonly ok: false; readonly issues: readonly SettingsIssue[] };

export interface ResolveSettingsOptions {
  /** Relative `workspace.path` and `readOnlyPaths` entries are resolved against this directory. */
  readonly baseDir: string;
  /** Named profiles (`sandbox_profiles:` in warden.yaml), raw. */
  readonly profiles?: Readonly<Record<string, unknown>> | undefined;
  /** Where the block sits in warden.yaml, e.g. `servers.fs.sandbox` (prefixes every issue path). */
  readonly where: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (not a sandbox setting)`;
  if ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && issue.issues[0] !== undefined)
    return messageOf(issue.issues[0]);
  return issue.message;
}

/** Paths in warden.yaml may be relative to the file; the schema wants absolute ones. */
function absolutize(raw: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const abs = (p: unknown): unknown =>
    typeof p === 'string' && p !== '' && !isAbsolute(p) ? resolve(baseDir, p) : p;
  const out = { ...raw };
  if (isRecord(out['workspace']) && 'path' in out['workspace'])
    out['workspace'] = { ...out['workspace'], path: abs(out['workspace']['path']) };
  if (Array.isArray(out['readOnlyPaths'])) out['readOnlyPaths'] = out['readOnlyPaths'].map(abs);
  return out;
}

/**
 * Validates a raw `sandbox:` block (or a named profile) from warden.yaml with the sandbox schema.
 * A block may name a profile (`profile: NAME`): its keys apply first, the block's own keys
 * replace them. Every issue names its full path (`servers.fs.sandbox.allowHosts.0: …`).
 */
export function resolveSandboxSettings(raw: unknown, opts: ResolveSettingsOptions): SettingsResult {
  if (raw === undefined || raw === true) raw = {};
  if (!isRecord(raw))
    return {
      ok: false,
      issues: [{ path: opts.where, message: 'expected false or a mapping of sandbox settings' }],
    };
  let merged: Record<string, unknown> = raw;
  const { profile, ...own } = raw;
  if (profile !== undefined) {
    const p = typeof profile === 'string' ? opts.profiles?.[profile] : undefined;
    if (!isRecord(p)) {
      const known = Object.keys(opts.profiles ?? {});
      return {
        ok: false,
        issues: [
          {
            path: `${opts.where}.profile`,
            message: `no sandbox profile ${JSON.stringify(profile)} in sandbox_profiles (${known.length > 0 ? `known: ${known.join(', ')}` : 'none defined'})`,
          },
        ],
      };
    }
    if ('profile' in p)
      return {
        ok: false,
        issues: [
          {
            path: `sandbox_profiles.${profile as string}.profile`,
            message: 'a profile cannot name another profile',
          },
        ],
      };
    merged = { ...p, ...own };
  }
  const r = sandboxSettingsSchema.safeParse(absolutize(merged, opts.baseDir));
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => {
      const path = [opts.where, ...i.path.map(String)];
      if (i.code === 'unrecognized_keys' && i.keys[0] !== undefined) path.push(i.keys[0]);
      return { path: path.join('.'), message: messageOf(i) };
    }),
  };
}
