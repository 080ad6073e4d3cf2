import {
  AUDIT_ARCH,
  CLONE_NAMESPACE_FLAGS,
  DENIED_ENOSYS,
  DENIED_EPERM,
  SYSCALLS,
  TIOCLINUX,
  TIOCSTI,
} from './syscalls.ts';
import type { SeccompArch } from './syscalls.ts';

/** Classic BPF opcodes used by the filter. */
export const OP = {
  LD_W_ABS: 0x20,
  JEQ_K: 0x15,
  JGE_K: 0x35,
  JSET_K: 0x45,
  RET_K: 0x06,
} as const;

export const RET = {
  ALLOW: 0x7fff0000,
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
} as const;

export const EPERM = 1;
export const ENOSYS = 38;

/** Offsets in `struct seccomp_data`; argument words are the low 32 bits (little-endian). */
export const SECCOMP_DATA = { nr: 0, arch: 4, argLow: (i: number) => 16 + 8 * i } as const;

/** x32 syscalls on x86_64 carry this bit; they are refused. */
const X32_SYSCALL_BIT = 0x40000000;

export interface Insn {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

type Label = 'allow' | 'eperm' | 'enosys' | 'kill' | 'clone' | 'ioctl';
interface Draft {
  code: number;
  k: number;
  jt: Label | 0;
  jf: Label | 0;
  label?: Label;
}

const ld = (k: number, label?: Label): Draft => ({
  code: OP.LD_W_ABS,
  k,
  jt: 0,
  jf: 0,
  ...(label ? { label } : {}),
});
const jmp = (code: number, k: number, jt: Label | 0, jf: Label | 0): Draft => ({ code, k, jt, jf });
const ret = (k: number, label: Label): Draft => ({ code: OP.RET_K, k, jt: 0, jf: 0, label });

function draftProgram(arch: SeccompArch): Draft[] {
  const nr = SYSCALLS[arch];
  const p: Draft[] = [ld(SECCOMP_DATA.arch), jmp(OP.JEQ_K, AUDIT_ARCH[arch], 0, 'kill'), ld(SECCOMP_DATA.nr)];
  if (arch === 'x86_64') p.push(jmp(OP.JGE_K, X32_SYSCALL_BIT, 'enosys', 0));
  for (const name of DENIED_EPERM) p.push(jmp(OP.JEQ_K, nr[name], 'eperm', 0));
  for (const name of DENIED_ENOSYS) p.push(jmp(OP.JEQ_K, nr[name], 'enosys', 0));
  p.push(jmp(OP.JEQ_K, nr.clone, 'clone', 0));
  p.push(jmp(OP.JEQ_K, nr.ioctl, 'ioctl', 'allow'));
  p.push(ld(SECCOMP_DATA.argLow(0), 'clone'), jmp(OP.JSET_K, CLONE_NAMESPACE_FLAGS, 'eperm', 'allow'));
  p.push(ld(SECCOMP_DATA.argLow(1), 'ioctl'), jmp(OP.JEQ_K, TIOCSTI, 'eperm', 0));
  p.push(jmp(OP.JEQ_K, TIOCLINUX, 'eperm', 'allow'));
  p.push(ret(RET.ALLOW, 'allow'), ret(RET.ERRNO | EPERM, 'eperm'));
  p.push(ret(RET.ERRNO | ENOSYS, 'enosys'), ret(RET.KILL_PROCESS, 'kill'));
  return p;
}

function resolve(drafts: Draft[]): Insn[] {
  const at = new Map<Label, number>();
  drafts.forEach((d, i) => d.label && at.set(d.label, i));
  const off = (from: number, to: Label | 0): number => {
    if (to === 0) return 0;
    const target = at.get(to);
    const delta = target === undefined ? -1 : target - from - 1;
    if (delta < 0 || delta > 255) throw new RangeError(`seccomp: jump to ${to} out of range`);
    return delta;
  };
  return drafts.map((d, i) => ({ code: d.code, k: d.k >>> 0, jt: off(i, d.jt), jf: off(i, d.jf) }));
}

/** The filter program for `arch` as instructions. */
export function seccompProgram(arch: SeccompArch): Insn[] {
  return resolve(draftProgram(arch));
}

/**
 * The raw `struct sock_filter[]` bwrap reads from `--seccomp FD` (8 bytes per instruction,
 * little-endian as on both supported architectures).
 */
export function buildSeccompFilter(arch: SeccompArch): Buffer {
  const prog = seccompProgram(arch);
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((ins, i) => {
    buf.writeUInt16LE(ins.code, i * 8);
    buf.writeUInt8(ins.jt, i * 8 + 2);
    buf.writeUInt8(ins.jf, i * 8 + 3);
    buf.writeUInt32LE(ins.k, i * 8 + 4);
  });
  return buf;
}

/** Decodes filter bytes back to instructions (for tests and `warden doctor`). */
export function decodeSeccompFilter(buf: Buffer): Insn[] {
  if (buf.length % 8 !== 0) throw new RangeError('seccomp: filter length is not a multiple of 8');
  const out: Insn[] = [];
  for (let o = 0; o < buf.length; o += 8) {
    out.push({
      code: buf.readUInt16LE(o),
      jt: buf.readUInt8(o + 2),
      jf: buf.readUInt8(o + 3),
      k: buf.readUInt32LE(o + 4),
    });
  }
  return out;
}

/** The seccomp arch for the running process, or undefined when unsupported. */
export function hostSeccompArch(arch: string = process.arch): SeccompArch | undefined {
  if (arch === 'x64') return 'x86_64';
  if (arch === 'arm64') return 'aarch64';
  return undefined;
}
