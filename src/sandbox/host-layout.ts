import { lstatSync, readlinkSync } from 'node:fs';
import type { SystemEntry } from './bwrap-argv.ts';

/**
 * System paths offered read-only to every sandbox, when they exist on the host. Enough to run
 * dynamically linked programs, Node and TLS clients; nothing that names users or services.
 */
export const SYSTEM_CANDIDATES: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/ssl',
  '/etc/pki',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/mime.types',
  '/etc/nsswitch.conf',
];

/** Looks at the host once: which candidates exist, and which are symlinks (merged /usr). */
export function probeHostLayout(candidates: readonly string[] = SYSTEM_CANDIDATES): SystemEntry[] {
  const out: SystemEntry[] = [];
  for (const path of candidates) {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) out.push({ path, kind: 'symlink', target: readlinkSync(path) });
      else if (st.isDirectory()) out.push({ path, kind: 'dir' });
      else if (st.isFile()) out.push({ path, kind: 'file' });
    } catch {
      // absent on this host
    }
  }
  return out;
}
