import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSeccompFilter, decodeSeccompFilter } from '../../../src/sandbox/index.ts';
import type { Insn, SeccompArch } from '../../../src/sandbox/index.ts';
import { AUDIT_ARCH, SYSCALLS, TIOCSTI, TIOCLINUX } from '../../../src/sandbox/seccomp/syscalls.ts';
import { OP, RET, EPERM, ENOSYS } from '../../../src/sandbox/seccomp/bpf.ts';

/** A classic-BPF interpreter for the subset the filter uses, over a little-endian seccomp_data. */
function run(prog: Insn[], nr: number, arch: number, args: bigint[] = []): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(arch >>> 0, 4);
  args.forEach((a, i) => data.writeBigUInt64LE(a, 16 + 8 * i));
  let acc = 0;
  for (let pc = 0; pc < prog.length;) {
    const ins = prog[pc];
    assert.ok(ins, `pc ${pc} out of program`);
    switch (ins.code) {
      case OP.LD_W_ABS:
        acc = data.readUInt32LE(ins.k);
        pc++;
        break;
      case OP.JEQ_K:
        pc += 1 + (acc === ins.k ? ins.jt : ins.jf);
        break;
      case OP.JGE_K:
        pc += 1 + (acc >= ins.k ? ins.jt : ins.jf);
        break;
      case OP.JSET_K:
        pc += 1 + ((acc & ins.k) >>> 0 !== 0 ? ins.jt : ins.jf);
        break;
      case OP.RET_K:
        return ins.k;
      default:
        assert.fail(`unknown opcode ${ins.code}`);
    }
  }
  return assert.fail('fell off the program');
}

const ARCHES: SeccompArch[] = ['x86_64', 'aarch64'];
const errno = (e: number): number => (RET.ERRNO | e) >>> 0;

for (const arch of ARCHES) {
  describe(`seccomp filter (${arch})`, () => {
    const prog = decodeSeccompFilter(buildSeccompFilter(arch));
    const nr = SYSCALLS[arch];
    const A = AUDIT_ARCH[arch];

    it('is a whole number of 8-byte instructions and ends in returns', () => {
      assert.equal(buildSeccompFilter(arch).length % 8, 0);
      assert.equal(prog.at(-1)?.code, OP.RET_K);
    });

    it('[SX-10] refuses mount, unshare, setns, ptrace, bpf, keyctl, modules, perf, userfaultfd with EPERM', () => {
      for (const name of [
        'mount',
        'umount2',
        'unshare',
        'setns',
        'ptrace',
        'process_vm_readv',
        'process_vm_writev',
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
        'pivot_root',
        'chroot',
        'open_by_handle_at',
        'name_to_handle_at',
        'fsopen',
        'open_tree',
        'move_mount',
      ] as const) {
        assert.equal(run(prog, nr[name], A), errno(EPERM), name);
      }
    });

    it('[SX-10] answers clone3 and io_uring with ENOSYS so libraries fall back', () => {
      for (const name of ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const) {
        assert.equal(run(prog, nr[name], A), errno(ENOSYS), name);
      }
    });

    it('[SX-6] refuses clone with any namespace flag, allows thread and fork clones', () => {
      for (const flag of [
        0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
      ]) {
        assert.equal(run(prog, nr.clone, A, [BigInt(flag | 17)]), errno(EPERM), `flag ${flag.toString(16)}`);
      }
      assert.equal(run(prog, nr.clone, A, [17n]), RET.ALLOW);
      assert.equal(run(prog, nr.clone, A, [0x3d0f00n]), RET.ALLOW);
    });

    it('[SX-9] refuses TIOCSTI and TIOCLINUX, also with garbage in the upper 32 bits', () => {
      for (const cmd of [TIOCSTI, TIOCLINUX]) {
        assert.equal(run(prog, nr.ioctl, A, [0n, BigInt(cmd)]), errno(EPERM));
        assert.equal(run(prog, nr.ioctl, A, [0n, (1n << 32n) | BigInt(cmd)]), errno(EPERM));
        assert.equal(run(prog, nr.ioctl, A, [0n, 0xffffffff00000000n | BigInt(cmd)]), errno(EPERM));
      }
      assert.equal(run(prog, nr.ioctl, A, [0n, 0x5401n]), RET.ALLOW, 'TCGETS stays allowed');
    });

    it('kills a process calling with another architecture', () => {
      const other = arch === 'x86_64' ? AUDIT_ARCH.aarch64 : AUDIT_ARCH.x86_64;
      assert.equal(run(prog, 0, other), RET.KILL_PROCESS);
      assert.equal(run(prog, 0, 0x40000003), RET.KILL_PROCESS, 'i386 compat');
    });

    it('allows every syscall not on the lists (property)', () => {
      const denied = new Set(Object.values(nr));
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 600 }), (n) => {
          fc.pre(!denied.has(n));
          return run(prog, n, A) === RET.ALLOW;
        }),
      );
    });
  });
}

describe('seccomp x32 ABI', () => {
  it('refuses x32 syscall numbers on x86_64', () => {
    const prog = decodeSeccompFilter(buildSeccompFilter('x86_64'));
    assert.equal(run(prog, 0x40000000 + SYSCALLS.x86_64.mount, AUDIT_ARCH.x86_64), errno(ENOSYS));
    assert.equal(run(prog, 0x40000000, AUDIT_ARCH.x86_64), errno(ENOSYS));
  });
});
