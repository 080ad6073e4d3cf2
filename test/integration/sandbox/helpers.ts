import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { detectCgroups } from '../../../src/sandbox/index.ts';

export const ROOT = process.getuid?.() === 0;
export const SANDBOX_UID = 65534;

/** Why real sandboxes cannot run here, or undefined when they can. */
export function sandboxUnavailable(): string | undefined {
  if (!existsSync('/usr/bin/bwrap')) return 'bubblewrap is not installed (apt-get install -y bubblewrap)';
  const pre = ROOT ? ['/usr/bin/setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'] : [];
  const argv = [
    ...pre,
    '/usr/bin/bwrap',
    '--unshare-user',
    '--unshare-net',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '/usr/bin/true',
  ];
  const r = spawnSync(argv[0] ?? '', argv.slice(1), { env: {} });
  return r.status === 0
    ? undefined
    : `unprivileged user namespaces unavailable: ${r.stderr.toString().trim()}`;
}

/** Why cgroup limits cannot be enforced here (memory, pids and cpu controllers), or undefined. */
export function cgroupLimitsMissing(): string | undefined {
  const cg = detectCgroups();
  return cg.controllers.length < 3 ? `cgroup controllers missing: ${cg.notes.join('; ')}` : undefined;
}

export const HAS_PYTHON = existsSync('/usr/bin/python3');

/**
 * A fork bomb in Python: forks up to 400 sleeping children, prints `refused <errno>` when the
 * kernel says no (the pids limit) and `forked <n>` at the end.
 */
export const FORKER = `
import os, time
n = 0
try:
    for i in range(400):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        n += 1
except OSError as e:
    print('refused', e.errno)
print('forked', n, flush=True)
`;
export const HAS_CURL = existsSync('/usr/bin/curl');

/** Counts TCP connections and UDP datagrams (DNS queries) arriving on loopback. */
export interface Sink {
  readonly tcpPort: number;
  readonly udpPort: number;
  tcp: number;
  udp: number;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const sink = { tcp: 0, udp: 0 } as Sink & { tcpPort: number; udpPort: number };
  const open = new Set<NetSocket>();
  const server: Server = createServer((s) => {
    sink.tcp++;
    open.add(s);
    s.once('close', () => open.delete(s));
    s.on('error', () => undefined);
    s.end('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nsink');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sink.tcpPort = (server.address() as { port: number }).port;
  const udp: UdpSocket = createSocket('udp4');
  udp.on('message', () => sink.udp++);
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  sink.udpPort = udp.address().port;
  sink.close = async () => {
    for (const s of open) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => udp.close(() => r()));
  };
  return sink;
}

/** A host directory with a workspace, a canary outside it, and a root-only file. */
export interface Fixture {
  readonly dir: string;
  readonly ws: string;
  readonly outside: string;
  readonly sibling: string;
  readonly rootOnly: string;
  readonly canary: string;
  cleanup(): void;
}

export function makeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'warden-esc-'));
  chmodSync(dir, 0o755);
  const canary = `CANARY-${randomBytes(8).toString('hex')}`;
  const ws = join(dir, 'ws');
  mkdirSync(ws);
  mkdirSync(join(ws, '.git', 'hooks'), { recursive: true });
  writeFileSync(join(ws, 'inside.txt'), 'inside\n');
  writeFileSync(join(ws, '.git', 'config'), '[core]\n');
  const outside = join(dir, 'outside.txt');
  writeFileSync(outside, canary, { mode: 0o644 });
  const sibling = `${ws}-b`;
  mkdirSync(sibling);
  writeFileSync(join(sibling, 'secret'), canary, { mode: 0o644 });
  const rootOnly = join(dir, 'root-only.txt');
  writeFileSync(rootOnly, canary, { mode: 0o600 });
  if (ROOT) chownTree(ws);
  return {
    dir,
    ws,
    outside,
    sibling,
    rootOnly,
    canary,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function chownTree(dir: string): void {
  spawnSync('/usr/bin/chown', ['-R', `${SANDBOX_UID}:${SANDBOX_UID}`, dir]);
}
