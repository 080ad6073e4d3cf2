/**
 * Syscall numbers for the architectures the seccomp filter supports. Taken from the kernel's
 * uapi headers (x86_64: arch/x86/entry/syscalls/syscall_64.tbl; aarch64: asm-generic/unistd.h).
 */
export type SeccompArch = 'x86_64' | 'aarch64';

/** `AUDIT_ARCH_*` values found in `seccomp_data.arch`. */
export const AUDIT_ARCH: Readonly<Record<SeccompArch, number>> = {
  x86_64: 0xc000003e,
  aarch64: 0xc00000b7,
};

export type SyscallName =
  | 'ioctl'
  | 'ptrace'
  | 'process_vm_readv'
  | 'process_vm_writev'
  | 'mount'
  | 'umount2'
  | 'pivot_root'
  | 'chroot'
  | 'unshare'
  | 'setns'
  | 'clone'
  | 'clone3'
  | 'bpf'
  | 'keyctl'
  | 'add_key'
  | 'request_key'
  | 'init_module'
  | 'finit_module'
  | 'delete_module'
  | 'perf_event_open'
  | 'userfaultfd'
  | 'io_uring_setup'
  | 'io_uring_enter'
  | 'io_uring_register'
  | 'kexec_load'
  | 'kexec_file_load'
  | 'open_by_handle_at'
  | 'name_to_handle_at'
  | 'open_tree'
  | 'move_mount'
  | 'fsopen'
  | 'fsconfig'
  | 'fsmount'
  | 'fspick'
  | 'mount_setattr'
  | 'acct'
  | 'reboot'
  | 'swapon'
  | 'swapoff'
  | 'quotactl';

type Table = Readonly<Record<SyscallName, number>>;

const X86_64: Table = {
  ioctl: 16,
  ptrace: 101,
  process_vm_readv: 310,
  process_vm_writev: 311,
  mount: 165,
  umount2: 166,
  pivot_root: 155,
  chroot: 161,
  unshare: 272,
  setns: 308,
  clone: 56,
  clone3: 435,
  bpf: 321,
  keyctl: 250,
  add_key: 248,
  request_key: 249,
  init_module: 175,
  finit_module: 313,
  delete_module: 176,
  perf_event_open: 298,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  kexec_load: 246,
  kexec_file_load: 320,
  open_by_handle_at: 304,
  name_to_handle_at: 303,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
  acct: 163,
  reboot: 169,
  swapon: 167,
  swapoff: 168,
  quotactl: 179,
};

const AARCH64: Table = {
  ioctl: 29,
  ptrace: 117,
  process_vm_readv: 270,
  process_vm_writev: 271,
  mount: 40,
  umount2: 39,
  pivot_root: 41,
  chroot: 51,
  unshare: 97,
  setns: 268,
  clone: 220,
  clone3: 435,
  bpf: 280,
  keyctl: 219,
  add_key: 217,
  request_key: 218,
  init_module: 105,
  finit_module: 273,
  delete_module: 106,
  perf_event_open: 241,
  userfaultfd: 282,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  kexec_load: 104,
  kexec_file_load: 294,
  open_by_handle_at: 265,
  name_to_handle_at: 264,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
  acct: 89,
  reboot: 142,
  swapon: 224,
  swapoff: 225,
  quotactl: 60,
};

export const SYSCALLS: Readonly<Record<SeccompArch, Table>> = { x86_64: X86_64, aarch64: AARCH64 };

/** Syscalls refused outright with EPERM. */
export const DENIED_EPERM: readonly SyscallName[] = [
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'unshare',
  'setns',
  'bpf',
  'keyctl',
  'add_key',
  'request_key',
  'init_module',
  'finit_module',
  'delete_module',
  'perf_event_open',
  'userfaultfd',
  'kexec_load',
  'kexec_file_load',
  'open_by_handle_at',
  'name_to_handle_at',
  'open_tree',
  'move_mount',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'acct',
  'reboot',
  'swapon',
  'swapoff',
  'quotactl',
];

/**
 * Syscalls refused with ENOSYS so that libraries fall back cleanly: glibc retries `clone3` as
 * `clone` (whose flags the filter can inspect), libuv falls back from io_uring to its thread pool.
 */
export const DENIED_ENOSYS: readonly SyscallName[] = [
  'clone3',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
];

/** CLONE_NEW* flags (NS, CGROUP, UTS, IPC, USER, PID, NET) refused in `clone` flags. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** Terminal ioctls refused whatever the upper 32 bits of the request hold. */
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;
