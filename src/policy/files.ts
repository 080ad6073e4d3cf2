import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicyError } from './errors.ts';

/** Reads `dir/*.cedar` (sorted, not recursive) into `{ name: text }`. Throws ERR_POLICY_IO. */
export async function readPolicyDir(dir: string): Promise<Record<string, string>> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = [];
    for (const e of entries) {
      // Dotfiles are editor artefacts (emacs `.#x.cedar` lock links, vim swap files).
      if (e.name.startsWith('.') || !e.name.endsWith('.cedar')) continue;
      if (e.isFile() || (e.isSymbolicLink() && (await isFileTarget(join(dir, e.name))))) names.push(e.name);
    }
  } catch (e) {
    throw new PolicyError(
      'ERR_POLICY_IO',
      `cannot read policy directory ${dir}: ${code(e)}`,
      { dir },
      { cause: e },
    );
  }
  const files: Record<string, string> = {};
  for (const name of names.sort()) {
    try {
      files[name] = await readFile(join(dir, name), 'utf8');
    } catch (e) {
      throw new PolicyError(
        'ERR_POLICY_IO',
        `cannot read policy file ${join(dir, name)}: ${code(e)}`,
        { dir, file: name },
        { cause: e },
      );
    }
  }
  return files;
}

function code(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'unknown error';
}

async function isFileTarget(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false; // a dangling link
  }
}
