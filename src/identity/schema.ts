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
