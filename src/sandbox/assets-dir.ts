import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityFiles, PRELOAD_SOURCE, RELAY_SOURCE } from './egress/assets.ts';

/**
/**
 * A host directory (mode 0755, files 0644, owned by Warden's user) holding the sandbox's
 * /etc/passwd, /etc/group and /etc/hosts, with egress the relay and the fetch preload, plus
 * `extra` (the TLS interception CA certificate and trust bundle: public material only). Bound
 * read-only.
 */
export function writeAssetsDir(
  uid: number,
  gid: number,
  base: string = tmpdir(),
  egress = true,
  extra: Readonly<Record<string, string>> = {},
): string {
  const dir = mkdtempSync(join(base, 'warden-assets-'));
  chmodSync(dir, 0o755);
  const files: Record<string, string> = {
    ...(egress ? { 'relay.cjs': RELAY_SOURCE, 'proxy-preload.cjs': PRELOAD_SOURCE } : {}),
    ...identityFiles(uid, gid),
    ...extra,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o644 });
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
