import { z } from 'zod';
import { durationSchema, sizeSchema } from './units.ts';
import { onSecret, remoteServerSecrets, secretsSection, stdioServerSecrets } from './secrets-schema.ts';

/**
 * The `warden.yaml` schema. Our own config is strict: an unknown key is an error (a typo must
 * fail loudly, not silently disable a control). Security rules live here with their reason.
 */

const SERVER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_SERVER_NAMES = new Set(['warden', 'gateway', 'mcp', 'admin', 'system']);

const envMap = z.record(
  z.string().regex(ENV_NAME, 'environment variable names must be POSIX identifiers ([A-Za-z_][A-Za-z0-9_]*)'),
  z.string(),
);

const commandString = z
  .string()
  .min(1)
  .refine((c) => !/^\.{1,2}\//.test(c) && !(c.includes('/') && !c.startsWith('/')), {
    message:
      'command must be an absolute path or a bare program name looked up on PATH when Warden starts; relative paths are rejected because they depend on the working directory',
  })
  .refine((c) => !/[\s;&|`$<>]/.test(c), {
    message: 'command is one program, not a shell line: put arguments in args (Warden never uses a shell)',
  });

const sandboxBlock = z.union([z.boolean(), z.record(z.string(), z.unknown())], {
  error: 'sandbox is false (run this server unsandboxed) or a mapping of sandbox settings',
});
/**
 * Per-server tool supply-chain settings (issue 6): what the gateway does with tools the scanner
 * calls suspicious, whether a tool seen for the first time is pinned at once or held for
 * approval, and pins an operator accepted although the scanner flags them (false positives).
 */
const toolSupply = z
  .strictObject({
    on_suspicious: z.enum(['allow', 'hold', 'block']).default('hold'),
    first_sight: z.enum(['trust', 'hold']).default('trust'),
    accept_pins: z.array(z.string().regex(/^sha256:[0-9a-f]{64}$/, 'pins are sha256:<64 hex>')).default([]),
  })
  .prefault({});

const stdioServer = z.strictObject({
  /** Program to run; or use `package` to run an installed npm package's bin. */
  command: commandString.optional(),
  /** An npm package installed next to warden.yaml or in Warden's own node_modules; its bin is run with Node. */
  package: z
    .string()
    .regex(/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/, 'package must be an npm package name like @scope/name')
    .optional(),
  args: z.array(z.string()).default([]),
  env: envMap.default({}),
  cwd: z.string().optional(),
  /** Trust this server's tool annotations (readOnlyHint, …) in policies. Default false (THREATS TP-4). */
  trusted: z.boolean().default(false),
  /** Expose tools and prompts as <server>.<name> (default) or under their own names. */
  prefix: z.boolean().default(true),
  timeout: durationSchema.optional(),
  /**
   * Sandbox settings (validated by the gateway with the sandbox module's schema; config keeps
   * the raw mapping). Absent: sandboxed with the defaults. `false`: an explicit, warned opt-out.
   */
  sandbox: sandboxBlock.optional(),
  secrets: stdioServerSecrets.optional(),
  on_secret: onSecret,
  tools: toolSupply,
});

const remoteServer = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'url must be an http(s) URL' })
    .refine((u) => new URL(u).username === '' && new URL(u).password === '', {
      message: 'url must not carry credentials (userinfo); use headers with a secret instead',
    }),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are tokens'), z.string()).default({}),
  trusted: z.boolean().default(false),
  /** Expose tools and prompts as <server>.<name> (default) or under their own names. */
  prefix: z.boolean().default(true),
  timeout: durationSchema.optional(),
  secrets: remoteServerSecrets.optional(),
  on_secret: onSecret,
  tools: toolSupply,
});

type StdioServerRaw = z.output<typeof stdioServer>;
type RemoteServerRaw = z.output<typeof remoteServer>;

/** A server is remote when it has `url`, stdio otherwise; validated by that branch so errors are precise. */
const server = z.unknown().transform((value, ctx): StdioServerRaw | RemoteServerRaw => {
  const isRemote = typeof value === 'object' && value !== null && 'url' in value;
  const r = isRemote ? remoteServer.safeParse(value) : stdioServer.safeParse(value);
  if (!r.success) {
    for (const i of r.error.issues)
      ctx.addIssue({ ...i, code: 'custom', path: i.path, message: messageOf(i) });
    return z.NEVER;
  }
  if (!isRemote) {
    const s = r.data as StdioServerRaw;
    if ((s.command === undefined) === (s.package === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'a stdio server needs exactly one of command or package (or url for a remote server)',
      });
      return z.NEVER;
    }
  }
  return r.data;
});

/** The most specific message of an issue (record keys and unions nest theirs). */
export function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (not part of the warden.yaml schema)`;
  }
  if ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && issue.issues[0] !== undefined) {
    return messageOf(issue.issues[0]);
  }
  return issue.message;
}

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):\d{1,5}$/, 'listen must be host:port, e.g. 127.0.0.1:7420');

const gateway = z
  .strictObject({
    listen: listen.default('127.0.0.1:7420'),
    /** Binding to a non-loopback address must be explicit (THREATS SE-7). */
    allow_remote: z.boolean().default(false),
    /** Extra Host header values accepted besides the listen address (DNS rebinding, SE-6). */
    allowed_hosts: z.array(z.string().min(1)).default([]),
    /** Origin values accepted from browsers. Requests with any other Origin get 403. */
    allowed_origins: z.array(z.url()).default([]),
    /** The public URL of /mcp (token audience, metadata); defaults to http://<listen>/mcp. */
    public_url: z.url().optional(),
    max_body: sizeSchema.default(4 * 1024 * 1024),
    max_depth: z.number().int().min(8).max(1000).default(64),
    call_timeout: durationSchema.default(60_000),
    /**
     * Per-agent token bucket on tools/call, resources/read and prompts/get (THREATS DoS-1);
     * absent or false: no limit (`warden init` writes one).
     */
    rate_limit: z
      .union([
        z.literal(false),
        z.strictObject({
          calls_per_second: z.number().positive().max(1_000_000),
          burst: z.number().int().min(1).max(1_000_000),
        }),
      ])
      .default(false),
    /** Protocol revisions accepted from clients (RPC-17). */
    protocol_versions: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).optional(),
  })
  .prefault({});

const audit = z
  .strictObject({
    checkpoint_every_records: z.number().int().min(1).default(1000),
    checkpoint_every: durationSchema.default(60_000),
  })
  .prefault({});

/** The signed catalog of admitted servers (issue 6): with `enforce`, only catalog servers start. */
const catalog = z
  .strictObject({
    enforce: z.boolean().default(false),
    /** The signed catalog (JSON envelope written by `warden catalog sign`). */
    file: z.string().default('catalog.signed.json'),
    /** The Ed25519 public key (PEM) the catalog must be signed with. */
    public_key: z.string().default('catalog.pub'),
    /**
     * Where catalog packages are installed (default `<data_dir>/packages`). Under root with
     * sandboxed servers, a directory the sandbox uid can search: the data directory is 0700.
     */
    packages_dir: z.string().min(1).optional(),
    /** npm registry for catalog packages; tarballs are verified against the catalog's integrity. */
    registry: z
      .url({ protocol: /^https?$/, error: 'registry must be an http(s) URL' })
      .default('https://registry.npmjs.org/'),
  })
  .prefault({});

const logging = z
  .strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .prefault({});

/**
 * Agent identity (issue 4). API keys bootstrap short-lived tokens at /token; `api_keys: direct`
 * also lets them authenticate /mcp (static-header clients, the demo). Durations are capped by
 * the identity module's own limits (token TTL ≤ 1 h, leeway ≤ 60 s: THREATS DL-11).
 */
const delegateCommand = z.strictObject({
  /** The sub-agent's own identity (an agent name); without it the caller's token is narrowed. */
  agent: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'an agent name')
    .optional(),
  /** The sub-agent program run by `warden.delegate` for callers with this role. */
  command: commandString,
  args: z.array(z.string()).default([]),
  /** A directory the sub-agent may read and write (mounted at /workspace). */
  workspace: z.string().optional(),
  /** Hosts the sub-agent may reach besides the gateway (egress allow-list). */
  allow_hosts: z.array(z.string().min(1)).default([]),
  /** Wall-clock limit for one sub-agent run. */
  timeout: durationSchema.default(120_000),
});

const identity = z
  .strictObject({
    api_keys: z.enum(['bootstrap', 'direct']).default('bootstrap'),
    token_ttl: durationSchema.default(300_000),
    max_token_ttl: durationSchema
      .default(900_000)
      .refine((ms) => ms >= 1000 && ms <= 3_600_000, { message: 'max_token_ttl must be within 1s..1h' }),
    leeway: durationSchema
      .default(30_000)
      .refine((ms) => ms <= 60_000, { message: 'leeway must be at most 60s (THREATS DL-11)' }),
    max_delegation_depth: z.number().int().min(0).max(8).default(4),
    key_rotation: durationSchema
      .default(86_400_000)
      .refine((ms) => ms >= 60_000, { message: 'key_rotation must be at least 1m' }),
    /** Sub-agent commands for the built-in `warden.delegate` tool, by the caller's role. */
    delegate: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a role name'), delegateCommand)
      .default({}),
  })
  .refine((i) => i.token_ttl >= 1000 && i.token_ttl <= i.max_token_ttl, {
    message: 'token_ttl must be within 1s..max_token_ttl',
    path: ['token_ttl'],
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    version: z.literal(1, { error: 'version must be 1' }),
    data_dir: z.string().default('.warden'),
    store: z
      .strictObject({
        url: z
          .string()
          .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'store.url must start with postgres:// or sqlite:')
          .optional(),
      })
      .prefault({}),
    policies: z.string().default('policies'),
    gateway,
    servers: z
      .record(
        z
          .string()
          .regex(
            SERVER_NAME,
            'server names are 1–32 of [a-z0-9_-], starting with a letter (they prefix tool names)',
          )
          .refine((n) => !RESERVED_SERVER_NAMES.has(n), {
            message: 'this server name is reserved for Warden (SH-4)',
          }),
        server,
      )
      .nullish()
      // `servers:` with every entry commented out (the starter template) is YAML null: no servers
      .transform((v) => v ?? {}),
    audit,
    logging,
    /** Named sandbox settings for `warden run --profile NAME` and `sandbox: { profile: NAME }`. */
    sandbox_profiles: z
      .record(
        z
          .string()
          .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'profile names are 1–32 of [a-z0-9_-], starting with a letter'),
        z.record(z.string(), z.unknown(), { error: 'a sandbox profile is a mapping of sandbox settings' }),
      )
      .default({}),
    secrets: secretsSection,
    catalog,
    /** Validated by the monitor's own schema at start-up (config depends on core only). */
    monitor: z.record(z.string(), z.unknown(), { error: 'monitor must be a mapping' }).optional(),
    identity,
  })
  .superRefine((c, ctx) => {
    const [host] = splitListen(c.gateway.listen);
    if (!isLoopbackHost(host) && !c.gateway.allow_remote) {
      ctx.addIssue({
        code: 'custom',
        path: ['gateway', 'listen'],
        message: `listening on ${host} exposes the gateway beyond this machine: set gateway.allow_remote: true to confirm (SE-7)`,
      });
    }
  });

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

export function splitListen(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  let host = listen.slice(0, i);
  if (host.startsWith('[')) host = host.slice(1, -1);
  return [host, Number(listen.slice(i + 1))];
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
