import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep, posix } from 'node:path';
import { compileEgressRules } from './egress/host-rules.ts';
import { SandboxError } from './errors.ts';
import type { LaunchSpec } from './launcher.ts';
import { mergeProfile, WORKSPACE_TARGET } from './profile.ts';
import type { SandboxProfile } from './profile.ts';

const SCRIPT = /\.(?:c|m)?js$/;

/**
 * What must be visible read-only for a Node program at `path`: the top-most `node_modules`
 * directory enclosing it (so its dependencies resolve); for a file outside any node_modules, the
 * file itself and the `node_modules` directories Node searches from it (its ancestors'), so a
 * one-file server importing installed packages runs. Never the file's directory: a project
 * directory may hold secrets (.env); sibling modules need `readOnlyPaths`.
 */
export function nodePackagePaths(path: string): string[] {
  if (!isAbsolute(path) || !existsSync(path)) return [];
  const real = realpathSync(path);
  // Both spellings: Node looks the program up by the path given (a symlinked node_modules
  // stays a path inside), then follows it to the real location.
  return [...new Set([...pathsFor(path), ...pathsFor(real)])];
}

function pathsFor(path: string): string[] {
  const parts = path.split(sep);
  const i = parts.indexOf('node_modules');
  if (i > 0) return [parts.slice(0, i + 1).join(sep)];
  const out = [path];
  if (!SCRIPT.test(path)) return out;
  for (let d = dirname(path); ; d = dirname(d)) {
    const nm = join(d, 'node_modules');
    if (existsSync(nm)) out.push(nm);
    if (dirname(d) === d) return out;
  }
}

/** Read-only paths implied by the launch: the command and a script given as first argument. */
function impliedReadOnly(spec: LaunchSpec): string[] {
  const out = nodePackagePaths(spec.command);
  const first = spec.args[0];
  if (first !== undefined && SCRIPT.test(first)) out.push(...nodePackagePaths(first));
  return out;
}

/** The profile for one launch: the launcher's, the spec's overrides, implied read-only paths. */
export function effectiveProfile(base: SandboxProfile, spec: LaunchSpec): SandboxProfile {
  const merged = mergeProfile(base, spec.sandbox);
  compileEgressRules(merged.egress.allowHosts);
  if (!merged.newSession && !merged.seccomp) {
    throw new SandboxError(
      'ERR_SANDBOX_CONFIG',
      'newSession=false requires seccomp (TIOCSTI must stay blocked)',
    );
  }
  for (const p of merged.readOnlyPaths) {
    if (!isAbsolute(p) || posix.normalize(p) === '/') {
      throw new SandboxError(
        'ERR_SANDBOX_CONFIG',
        `readOnlyPaths entry must be an absolute path other than /: ${p}`,
      );
    }
  }
  const readOnlyPaths = [...new Set([...merged.readOnlyPaths, ...impliedReadOnly(spec)])];
  return Object.freeze({ ...merged, readOnlyPaths });
}

const under = (path: string, dir: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * The working directory inside: a host path under the workspace maps to the workspace target;
 * a path under a read-only path stays; anything else (not visible inside) falls back to the
 * default (the workspace, or /).
 */
export function insideCwd(profile: SandboxProfile, cwd: string | undefined): string | undefined {
  if (cwd === undefined) return undefined;
  const ws = profile.workspace;
  if (ws.mode !== 'none' && ws.path !== undefined && under(cwd, ws.path)) {
    return posix.join(ws.target ?? WORKSPACE_TARGET, relative(ws.path, cwd).split(sep).join('/'));
  }
  if (ws.mode !== 'none' && under(cwd, ws.target ?? WORKSPACE_TARGET)) return cwd;
  if (cwd === '/' || profile.readOnlyPaths.some((p) => under(cwd, p))) return cwd;
  return undefined;
}
