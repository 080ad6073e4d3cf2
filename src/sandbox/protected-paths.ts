import { existsSync, lstatSync, renameSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';

/** A protected path the sandboxed program created; renamed so no host tool picks it up. */
export interface QuarantineEvent {
  readonly sandboxId: string;
  readonly path: string;
  readonly quarantinedAs: string;
}

function safeRelative(rel: string): boolean {
  const n = normalize(rel);
  return !isAbsolute(n) && n !== '..' && !n.startsWith(`..${sep}`) && n !== '.';
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which protected paths exist now (to bind read-only). A path is only protected if no component
 * of it is a symlink (a symlink would point the read-only bind elsewhere).
 */
export function existingProtected(workspace: string, rels: readonly string[]): string[] {
  return rels.filter((rel) => {
    if (!safeRelative(rel)) return false;
    let cur = workspace;
    for (const part of normalize(rel).split(sep)) {
      cur = join(cur, part);
      if (!exists(cur)) return false;
      if (lstatSync(cur).isSymbolicLink()) return false;
    }
    return true;
  });
}

/** After exit: renames protected paths that did not exist before and do now. */
export function quarantineCreated(
  workspace: string,
  rels: readonly string[],
  before: readonly string[],
  sandboxId: string,
): QuarantineEvent[] {
  const out: QuarantineEvent[] = [];
  for (const rel of rels) {
    if (!safeRelative(rel) || before.includes(rel)) continue;
    const p = join(workspace, rel);
    if (!exists(p)) continue;
    const q = `${p}.warden-quarantine-${sandboxId}`;
    if (existsSync(q)) continue;
    renameSync(p, q);
    out.push({ sandboxId, path: rel, quarantinedAs: q });
  }
  return out;
}
