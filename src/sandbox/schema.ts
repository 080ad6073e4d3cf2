import { isAbsolute, posix } from 'node:path';
import { z } from 'zod';
import { parseEgressRule } from './egress/host-rules.ts';
import type { SandboxOverrides } from './profile.ts';

/**
 * The sandbox settings as written in warden.yaml (a server's `sandbox:` block or a named
 * profile). Strict: an unknown key (e.g. a model-supplied `dangerouslyDisableSandbox`, SX-14)
 * fails loudly. Security rules carry their reason in the message.
 */
const SIZE = /^(\d+)([KMG]?)(i?B)?$/i;
const UNIT: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

const size = z.union([z.string(), z.number().int().nonnegative()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = SIZE.exec(v.trim());
  if (!m?.[1]) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a size like 512M, 64K, 1G (got ${JSON.stringify(v)})`,
    });
    return z.NEVER;
  }
  return Number(m[1]) * (UNIT[(m[2] ?? '').toUpperCase()] ?? 1);
});

const absolutePath = z
  .string()
  .refine((p) => isAbsolute(p) && !p.includes('\0'), 'must be an absolute path')
  .refine((p) => posix.normalize(p) !== '/', 'binding / would expose host sockets (docker.sock, ssh-agent)');

const egressHost = z.string().superRefine((h, ctx) => {
  try {
    parseEgressRule(h);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const sandboxSettingsSchema = z
  .strictObject({
    workspace: z
      .strictObject({
        mode: z.enum(['bind', 'copy', 'none']),
        path: absolutePath.optional(),
        target: absolutePath.optional(),
      })
      .refine((w) => w.mode === 'none' || w.path !== undefined, 'bind and copy workspaces need a path')
      .optional(),
    readOnlyPaths: z.array(absolutePath).optional(),
    memory: size.optional(),
    pids: z.number().int().min(8).max(1_000_000).optional(),
    cpus: z.number().positive().max(1024).optional(),
    tmp: size.optional(),
    allowHosts: z.array(egressHost).optional(),
    allowPorts: z.array(z.number().int().min(1).max(65535)).optional(),
    env: z
      .record(z.string().regex(ENV_NAME, 'environment names must be POSIX identifiers'), z.string())
      .optional(),
    protectedPaths: z.array(z.string().min(1)).optional(),
    seccomp: z.boolean().optional(),
    cgroups: z.enum(['required', 'best-effort']).optional(),
    uid: z.number().int().min(1).optional(),
    gid: z.number().int().min(1).optional(),
  })
  .transform((s): SandboxOverrides => ({
    ...(s.workspace ? { workspace: s.workspace } : {}),
    ...(s.readOnlyPaths ? { readOnlyPaths: s.readOnlyPaths } : {}),
    limits: {
      ...(s.memory !== undefined ? { memoryBytes: s.memory } : {}),
      ...(s.pids !== undefined ? { pids: s.pids } : {}),
      ...(s.cpus !== undefined ? { cpus: s.cpus } : {}),
      ...(s.tmp !== undefined ? { tmpBytes: s.tmp } : {}),
    },
    egress: {
      ...(s.allowHosts ? { allowHosts: s.allowHosts } : {}),
      ...(s.allowPorts ? { allowPorts: s.allowPorts } : {}),
    },
    ...(s.env ? { env: s.env } : {}),
    ...(s.protectedPaths ? { protectedPaths: s.protectedPaths } : {}),
    ...(s.seccomp !== undefined ? { seccomp: s.seccomp } : {}),
    ...(s.cgroups ? { cgroups: s.cgroups } : {}),
    ...(s.uid !== undefined ? { uid: s.uid } : {}),
    ...(s.gid !== undefined ? { gid: s.gid } : {}),
  }));

export type SandboxSettingsInput = z.input<typeof sandboxSettingsSchema>;
