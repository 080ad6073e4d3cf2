import { chownSync, cpSync, lstatSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkspaceSpec } from './profile.ts';
import { SandboxError } from './errors.ts';

export interface PreparedWorkspace {
  /** Host directory to bind, or undefined for `none`. */
  readonly hostPath: string | undefined;
  /** Removes a `copy` workspace; no-op otherwise. */
  dispose(): void;
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

/**
 * Prepares the workspace: `bind` uses the directory as is, `copy` makes a disposable copy
 * (symlinks copied as links, not followed; owned by the sandbox uid when Warden is root).
 */
export function prepareWorkspace(
  ws: WorkspaceSpec,
  owner: { uid: number; gid: number } | undefined,
): PreparedWorkspace {
  if (ws.mode === 'none') return { hostPath: undefined, dispose: () => undefined };
  if (ws.path === undefined)
    throw new SandboxError('ERR_SANDBOX_CONFIG', `workspace mode ${ws.mode} needs a path`);
  let st;
  try {
    st = lstatSync(ws.path);
  } catch {
    throw new SandboxError('ERR_SANDBOX_CONFIG', 'workspace directory does not exist');
  }
  if (!st.isDirectory()) throw new SandboxError('ERR_SANDBOX_CONFIG', 'workspace is not a directory');
  if (ws.mode === 'bind') return { hostPath: ws.path, dispose: () => undefined };
  const base = mkdtempSync(join(tmpdir(), 'warden-ws-'));
  chmodSync(base, 0o755);
  const copy = join(base, 'ws');
  cpSync(ws.path, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  if (owner) chownTree(copy, owner.uid, owner.gid);
  return { hostPath: copy, dispose: () => rmSync(base, { recursive: true, force: true }) };
}
