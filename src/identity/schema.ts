import { z } from 'zod';
import { IdentityError } from './errors.ts';

/** Agent and role names: lower-case ASCII, start with a letter, at most 63 characters. */
export const NAME_RE = /^[a-z][a-z0-9_-]{0,62}$/;

export const agentNameSchema = z
  .string()
  .regex(NAME_RE, 'an agent name is 1-63 characters of a-z, 0-9, _ or -, starting with a letter');

export const roleSchema = z
  .string()
  .regex(NAME_RE, 'a role is 1-63 characters of a-z, 0-9, _ or -, starting with a letter');

export function parseAgentName(name: unknown): string {
  const r = agentNameSchema.safeParse(name);
  if (!r.success) {
    throw new IdentityError(
      'ERR_AGENT_NAME_INVALID',
      `invalid agent name: ${r.error.issues[0]?.message ?? ''}`,
      {
        length: typeof name === 'string' ? name.length : undefined,
      },
    );
  }
  return r.data;
}

export function parseRoles(roles: unknown): string[] {
  if (!Array.isArray(roles)) throw new IdentityError('ERR_ROLE_INVALID', 'roles must be a list of names');
  const out = new Set<string>();
  for (const role of roles) {
    const r = roleSchema.safeParse(role);
    if (!r.success) {
      throw new IdentityError('ERR_ROLE_INVALID', `invalid role: ${r.error.issues[0]?.message ?? ''}`, {
        index: out.size,
      });
    }
    out.add(r.data);
  }
  if (out.size > 64) throw new IdentityError('ERR_ROLE_INVALID', 'an agent has at most 64 roles');
  return [...out].sort();
}

// ---------- grants ----------

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
const notReserved = (s: string): boolean => !RESERVED.has(s);

/** Server names as configured: no dots (they separate `server.tool`), no wildcards (CD-9). */
export const SERVER_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const PARAM_RE = /^[A-Za-z0-9_.$-]{1,128}$/;
const TOOL_KEY_RE = /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_./-]{1,128}$/;

const serverName = z
  .string()
  .regex(SERVER_NAME_RE, 'a server name (letters, digits, _ or -)')
  .refine(notReserved);
const toolPattern = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_./-]{0,128}\*?$/, 'a tool name or a prefix ending in one *');

const scalar = z.union([z.string().max(256), z.number().refine(Number.isFinite), z.boolean()]);

export const argConstraintSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('path'), globs: z.array(z.string().max(1024)).min(1).max(32) }),
  z.strictObject({ kind: z.literal('host'), hosts: z.array(z.string().max(260)).min(1).max(32) }),
  z.strictObject({ kind: z.literal('enum'), values: z.array(scalar).min(1).max(64) }),
  z.strictObject({
    kind: z.literal('range'),
    min: z.number().refine(Number.isFinite).optional(),
    max: z.number().refine(Number.isFinite).optional(),
    integer: z.boolean().optional(),
  }),
]);

export const grantSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  tools: z.record(serverName, z.array(toolPattern).min(1).max(64)),
  args: z
    .record(
      z.string().regex(TOOL_KEY_RE, 'server.tool').refine(notReserved),
      z.record(z.string().regex(PARAM_RE).refine(notReserved), argConstraintSchema),
    )
    .optional(),
  expiresAt: z.number().int().positive(),
});

/** A task label: 1-256 printable characters (it reaches policies and audit, never a shell). */
// eslint-disable-next-line no-control-regex
export const TASK_RE = /^[^\u0000-\u001f\u007f]{1,256}$/;

export function parseTask(task: unknown): string {
  if (typeof task !== 'string' || !TASK_RE.test(task)) {
    throw new IdentityError('ERR_GRANT_INVALID', 'a task is 1-256 printable characters');
  }
  return task;
}
