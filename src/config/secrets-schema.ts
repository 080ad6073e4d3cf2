import { z } from 'zod';
import { durationSchema } from './units.ts';

/**
 * The `secrets:` section of warden.yaml and the per-server `secrets:` / `on_secret:` keys
 * (docs/secrets.md). Security rules live here with their reason: secret names are plain
 * identifiers (never patterns: CD-5, SB-4), a secret may be restricted to named servers (SB-4),
 * headers go to remote servers only and environment variables or placeholders to stdio servers
 * only, placeholder hosts are exact.
 */

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const secretName = z
  .string()
  .regex(
    SECRET_NAME,
    'a secret name is a POSIX identifier ([A-Za-z_][A-Za-z0-9_]*, at most 128 chars): patterns such as * are refused (SB-4)',
  );

const envName = z
  .string()
  .regex(ENV_NAME, 'environment variable names must be POSIX identifiers ([A-Za-z_][A-Za-z0-9_]*)');

/** One program and its arguments, run without a shell. */
export const argvSchema = z
  .array(z.string())
  .min(1, 'a command is a non-empty argv list, e.g. [pass, show, github/token]')
  .refine((a) => a[0] !== undefined && a[0].length > 0 && !/[\s;&|`$<>]/.test(a[0]), {
    message: 'the first element is one program (no shell line): put arguments in the following elements',
  })
  .refine((a) => !/^\.{1,2}\//.test(a[0] ?? '') && !((a[0] ?? '').includes('/') && !a[0]!.startsWith('/')), {
    message: 'the program must be an absolute path or a bare name looked up on PATH (no relative paths)',
  });

const masterKey = z
  .strictObject({
    /** Key file (0600), relative to the config file; default <data_dir>/secrets.key. */
    file: z.string().min(1).optional(),
    /** An environment variable holding 64 hex characters or base64 of 32 bytes. */
    env: envName.optional(),
    /** A program that prints the key (e.g. [pass, show, warden/master]). */
    command: argvSchema.optional(),
  })
  .refine((m) => [m.file, m.env, m.command].filter((x) => x !== undefined).length <= 1, {
    message: 'master_key takes one of file, env or command',
  })
  .prefault({});

const source = z
  .strictObject({
    /** Where the value comes from: the encrypted store (default), an environment variable, or a command. */
    provider: z.enum(['store', 'env', 'command']).default('store'),
    /** env provider: the variable holding the value (default: the secret's own name). */
    env: envName.optional(),
    /** command provider: the program printing the value on stdout. */
    command: argvSchema.optional(),
    /** command provider: how long a fetched value is reused (default 5m). */
    ttl: durationSchema.optional(),
    /** Rotate this often: store secrets run rotate_command, command secrets are fetched again. */
    rotate_every: durationSchema.optional(),
    /** store provider: a program printing the new value; Warden stores it as the next version. */
    rotate_command: argvSchema.optional(),
    /** Only these servers may ask for this secret (SB-4); default: any server that names it. */
    servers: z.array(z.string()).optional(),
  })
  .superRefine((s, ctx) => {
    const bad = (path: string, message: string): void =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (s.provider !== 'env' && s.env !== undefined) bad('env', 'env is only for provider: env');
    if (s.provider === 'command' && s.command === undefined)
      bad('command', 'provider: command needs command (the program that prints the secret)');
    if (s.provider !== 'command' && s.command !== undefined)
      bad('command', 'command is only for provider: command');
    if (s.provider !== 'command' && s.ttl !== undefined) bad('ttl', 'ttl is only for provider: command');
    if (s.provider !== 'store' && s.rotate_command !== undefined)
      bad(
        'rotate_command',
        'rotate_command is only for provider: store (a command provider is simply fetched again)',
      );
    if (s.provider === 'env' && s.rotate_every !== undefined)
      bad('rotate_every', 'an env secret cannot be rotated by Warden (its value is fixed for the process)');
    if (s.provider === 'store' && s.rotate_every !== undefined && s.rotate_command === undefined)
      bad(
        'rotate_command',
        'rotate_every on a store secret needs rotate_command (the program printing the new value)',
      );
    if (s.rotate_every !== undefined && s.rotate_every < 1000)
      bad('rotate_every', 'rotate_every must be at least 1s');
  });

export const secretsSection = z
  .strictObject({
    master_key: masterKey,
    /** How long a rotated-out value stays in the redaction set. */
    grace: durationSchema.default(24 * 60 * 60 * 1000),
    /** Also redact by pattern (secretlint's recommended rules). */
    patterns: z.boolean().default(true),
    /** Canary mode: plant this many canary secrets (CANARY_1…) in the store and every stdio server's env. */
    canaries: z.number().int().min(0).max(100).default(0),
    /** Secret name → where it comes from; a name used by a server but not listed here is a store secret. */
    sources: z.record(secretName, source).default({}),
    /**
     * Extra CA certificates (PEM files) trusted, besides the system store, when the egress proxy
     * opens TLS to a placeholder-bound host (e.g. an internal CA). Verification cannot be turned off.
     */
    upstream_ca: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  })
  .prefault({});

const exactHost = z
  .string()
  .min(1)
  .regex(
    /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$/,
    'a placeholder host is exact: host or host:port, no wildcards (CD-5)',
  );

/** env: [NAME, …] (variable = secret name) or { VARIABLE: NAME }. */
const envSecrets = z
  .union([z.array(secretName), z.record(envName, secretName)])
  .transform((v): Record<string, string> =>
    Array.isArray(v) ? Object.fromEntries(v.map((n) => [n, n])) : v,
  );

export const stdioServerSecrets = z.strictObject({
  /** Secrets injected into this server's environment (stdio servers only). */
  env: envSecrets.optional(),
  /**
   * Secrets the server only ever sees as a placeholder: the sandbox egress proxy swaps it for the
   * real value on requests to `hosts` and refuses it (and the value) everywhere else (CD-5).
   */
  placeholders: z
    .record(secretName, z.strictObject({ hosts: z.array(exactHost).min(1), env: envName.optional() }))
    .optional(),
});

export const remoteServerSecrets = z.strictObject({
  /** Headers the gateway attaches to upstream requests; `${NAME}` is replaced by the secret. */
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are tokens'),
      z.string().refine((v) => /\$\{[A-Za-z_][A-Za-z0-9_]*\}/.test(v), {
        message: 'a secret header value names a secret as ${NAME}, e.g. "Bearer ${GITHUB_TOKEN}"',
      }),
    )
    .optional(),
});

export const onSecret = z.enum(['redact', 'block']).default('redact');

/** The secret names a header template refers to. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
}
