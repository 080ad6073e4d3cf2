import { SYSCALLS } from '../../../src/sandbox/seccomp/syscalls.ts';
import type { SyscallName } from '../../../src/sandbox/seccomp/syscalls.ts';

/**
 * Escape probes (THREATS.md §1J, §1F, §1H). Each is a bash script that exits 0 when the
 * forbidden action WORKED. It runs unsandboxed first (positive control: must exit 0) and then
 * sandboxed (must not). Variables: WS (workspace), OUT (file outside it), SIB (sibling dir with
 * the same prefix), RO (root-only file), TCP/UDP (sink ports), VICTIM (a host pid), PY (syscall
 * probe), AGENT (a host Unix socket), ABSTRACT (an abstract socket name), P1 (pid of the
 * environment holder: 1 inside, Warden's pid outside).
 */
export interface Probe {
  readonly id: string;
  readonly title: string;
  readonly script: string;
  readonly python?: boolean;
  readonly rootOnly?: boolean;
  /** Host path that must exist for the control to be meaningful. */
  readonly needsHostPath?: string;
}

const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const nr = (n: SyscallName): number => SYSCALLS[arch][n];
const sys = (id: string, name: SyscallName, errno: 'EPERM' | 'ENOSYS', args: string): Probe => ({
  id,
  title: `${name}(${args}) is refused (${errno})`,
  script: `python3 "$PY" ${errno} ${nr(name)} ${args}`,
  python: true,
});

export const FILE_PROBES: readonly Probe[] = [
  {
    id: 'SX-1',
    title: 'symlink from the workspace to a file outside',
    script: 'ln -sf "$OUT" "$WS/link1" && cat "$WS/link1" | grep -q CANARY',
  },
  {
    id: 'SX-1',
    title: 'symlink from the workspace to /etc/shadow',
    script: 'ln -sf /etc/shadow "$WS/link2" && head -c1 "$WS/link2" >/dev/null',
    rootOnly: true,
    needsHostPath: '/etc/shadow',
  },
  { id: 'SX-1', title: 'read the canary outside the workspace directly', script: 'grep -q CANARY "$OUT"' },
  {
    id: 'SX-2',
    title: 'prefix confusion: the sibling directory ws-b',
    script: 'grep -q CANARY "$SIB/secret"',
  },
  {
    id: 'SX-3',
    title: 'hardlink an outside file into the workspace and append',
    script: 'ln -f "$OUT" "$WS/hard1" && echo x >>"$WS/hard1"',
  },
  {
    id: 'SX-4',
    title: 'symlink swap race towards the outside directory',
    script:
      'd=$(dirname "$OUT"); for i in $(seq 1 200); do ln -sfn "$d" "$WS/swap"; if grep -qs CANARY "$WS/swap/outside.txt"; then exit 0; fi; rm -f "$WS/swap"; done; exit 1',
  },
  {
    id: 'SX-1',
    title: 'root-owned 0600 file stays unreadable (no root in the sandbox)',
    script: 'grep -q CANARY "$RO"',
    rootOnly: true,
  },
  {
    id: 'SX-11',
    title: 'write an existing git hook file',
    script: 'echo "#!/bin/sh" >"$WS/.git/hooks/pre-commit"',
  },
  {
    id: 'SX-11',
    title: 'rewrite .git/config (core.fsmonitor)',
    script: 'printf "[core]\\n\\tfsmonitor = evil\\n" >"$WS/.git/config"',
  },
  {
    id: 'SX-1',
    title: 'write into the host home directory',
    script: 'touch /root/.warden-probe && rm -f /root/.warden-probe',
    rootOnly: true,
  },
  {
    id: 'SX-12',
    title: 'a crafted worktree pointer leads outside the workspace',
    script:
      'printf "gitdir: %s\\n" "$(dirname "$OUT")" >"$WS/wt.git"; d=$(sed -n "s/^gitdir: //p" "$WS/wt.git"); grep -q CANARY "$d/outside.txt"',
  },
  { id: 'SX-5', title: 'host processes are visible in /proc', script: 'kill -0 "$VICTIM"' },
  {
    id: 'SX-5',
    title: "pid 1's environment leaks the launcher's variables",
    script: 'tr "\\0" "\\n" <"/proc/$P1/environ" | grep -q WARDEN_ESCAPE_MARKER',
  },
  { id: 'SX-5', title: '/proc/sys is writable', script: '[ -w /proc/sys/kernel/hostname ]', rootOnly: true },
  { id: 'SX-6', title: 'unshare a user namespace', script: 'unshare -U true' },
  { id: 'SX-6', title: 'unshare a mount namespace as root in a user namespace', script: 'unshare -Urm true' },
  {
    id: 'SX-6',
    title: 'mount a tmpfs',
    script: 'mkdir -p "$WS/mnt" && mount -t tmpfs x "$WS/mnt" && umount "$WS/mnt"',
    rootOnly: true,
  },
  { id: 'SX-7', title: 'signal a host process', script: 'kill -CONT "$VICTIM"' },
  {
    id: 'SX-8',
    title: 'connect to a host Unix socket (ssh-agent stand-in)',
    script:
      'python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])" "$AGENT"',
    python: true,
  },
  {
    id: 'SX-8',
    title: 'connect to a host abstract Unix socket',
    script:
      'python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(chr(0)+sys.argv[1])" "$ABSTRACT"',
    python: true,
  },
  {
    id: 'SX-8',
    title: 'the Docker socket path exists',
    script: '[ -S /var/run/docker.sock ] || [ -S /run/docker.sock ] || [ -d /run/user ] || [ -d /run/dbus ]',
    needsHostPath: '/run',
  },
  {
    id: 'SX-9',
    title: 'block device /dev/vda is present',
    script: '[ -b /dev/vda ]',
    needsHostPath: '/dev/vda',
  },
  { id: 'SX-9', title: '/dev/kvm is present', script: '[ -c /dev/kvm ]', needsHostPath: '/dev/kvm' },
  {
    id: 'SX-9',
    title: 'kernel log /dev/kmsg is present',
    script: '[ -c /dev/kmsg ]',
    needsHostPath: '/dev/kmsg',
  },
  { id: 'SX-1', title: 'host /tmp is visible', script: '[ -f "$OUT" ] || ls /tmp | grep -q warden-esc' },
];

export const SYSCALL_PROBES: readonly Probe[] = [
  sys('SX-6', 'unshare', 'EPERM', '0'),
  sys('SX-6', 'setns', 'EPERM', '-1 0'),
  sys('SX-6', 'mount', 'EPERM', '0 0 0 0 0'),
  sys('SX-6', 'umount2', 'EPERM', '0 0'),
  sys('SX-6', 'pivot_root', 'EPERM', '0 0'),
  sys('SX-6', 'chroot', 'EPERM', '0'),
  sys('SX-6', 'fsopen', 'EPERM', '0 0'),
  sys('SX-6', 'open_tree', 'EPERM', '-1 0 0'),
  sys('SX-6', 'move_mount', 'EPERM', '-1 0 -1 0 0'),
  sys('SX-6', 'mount_setattr', 'EPERM', '-1 0 0 0 0'),
  sys('SX-7', 'ptrace', 'EPERM', '-1 0 0 0'),
  sys('SX-7', 'process_vm_readv', 'EPERM', '0 0 0 0 0 0'),
  sys('SX-7', 'process_vm_writev', 'EPERM', '0 0 0 0 0 0'),
  sys('SX-9', 'ioctl', 'EPERM', '0 0x5412 0'),
  sys('SX-9', 'ioctl', 'EPERM', '0 0x100005412 0'),
  sys('SX-9', 'ioctl', 'EPERM', '0 0x541c 0'),
  sys('SX-10', 'bpf', 'EPERM', '-1 0 0'),
  sys('SX-10', 'perf_event_open', 'EPERM', '0 -1 -1 -1 0'),
  sys('SX-10', 'keyctl', 'EPERM', '-1 0 0 0 0'),
  sys('SX-10', 'add_key', 'EPERM', '0 0 0 0 0'),
  sys('SX-10', 'request_key', 'EPERM', '0 0 0 0'),
  sys('SX-10', 'userfaultfd', 'EPERM', '-1'),
  sys('SX-10', 'io_uring_setup', 'ENOSYS', '0 0'),
  sys('SX-10', 'io_uring_register', 'ENOSYS', '-1 0 0 0'),
  sys('SX-10', 'init_module', 'EPERM', '0 0 0'),
  sys('SX-10', 'finit_module', 'EPERM', '-1 0 0'),
  sys('SX-10', 'delete_module', 'EPERM', '0 0'),
  sys('SX-10', 'kexec_load', 'EPERM', '0 0 0 -1'),
  sys('SX-10', 'open_by_handle_at', 'EPERM', '-1 0 0'),
  sys('SX-10', 'name_to_handle_at', 'EPERM', '-1 0 0 0 0'),
  sys('SX-10', 'clone3', 'ENOSYS', '0 0'),
];
