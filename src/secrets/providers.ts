/**
 * Where secret values come from: the encrypted store, the gateway's own environment (only the
 * variables named in config) or a command that prints the secret (`pass`, `op`, `vault kv get
 * -field=…`), with caching and a TTL. Every failure is ERR_SECRET_UNAVAILABLE: the servers that
 * need the secret fail closed. Values from any provider must pass the SB-7 strength check,
 * since they all join the redaction set.
 */
import type { Clock } from '../core/index.ts';
import { systemClock } from '../core/index.ts';
import { isAppError } from '../core/index.ts';
import { SecretsError } from './errors.ts';
import { assertSecretName, checkSecretStrength } from './schema.ts';
import type { SecretStore } from './store.ts';

export type ProviderKind = 'store' | 'env' | 'command';

export interface SecretProvider {
  readonly kind: ProviderKind;
  /** The current value of `name`; throws ERR_SECRET_UNAVAILABLE (never returns a weak value). */
  get(name: string): Promise<string>;
  /** Forgets cached values (all, or one name), e.g. after a rotation. */
  refresh(name?: string): void;
}

/** Runs an argv (no shell) and resolves with its stdout; the lead wires it to the launcher. */
export type RunCommand = (argv: readonly string[]) => Promise<string>;

function unavailable(kind: ProviderKind, name: string, reason: string): SecretsError {
  return new SecretsError(
    'ERR_SECRET_UNAVAILABLE',
    `secret ${name} is unavailable from the ${kind} provider: ${reason}`,
    {
      name,
      provider: kind,
    },
  );
}

function checked(kind: ProviderKind, name: string, value: string): string {
  const s = checkSecretStrength(value);
  if (!s.ok) throw unavailable(kind, name, `value refused (${s.reason})`);
  return value;
}

function reasonOf(e: unknown): string {
  return isAppError(e) ? e.code : 'provider error';
}

export function storeProvider(store: SecretStore): SecretProvider {
  return {
    kind: 'store',
    async get(name) {
      assertSecretName(name);
      try {
        return checked('store', name, await store.get(name));
      } catch (e) {
        if (isAppError(e) && e.code === 'ERR_SECRET_UNAVAILABLE') throw e;
        throw unavailable('store', name, reasonOf(e));
      }
    },
    refresh() {},
  };
}

/**
 * Explicitly named environment variables only: `names` maps a secret name to the variable that
 * holds it. The caller passes the environment object (only src/config reads process.env).
 */
export function envProvider(
  env: Readonly<Record<string, string | undefined>>,
  names: Readonly<Record<string, string>>,
): SecretProvider {
  for (const [secret, variable] of Object.entries(names)) {
    assertSecretName(secret);
    assertSecretName(variable);
  }
  return {
    kind: 'env',
    get(name) {
      return Promise.resolve().then(() => {
        assertSecretName(name);
        const variable = Object.hasOwn(names, name) ? names[name] : undefined;
        if (variable === undefined) throw unavailable('env', name, 'not mapped to a variable');
        const value = Object.hasOwn(env, variable) ? env[variable] : undefined;
        if (value === undefined || value === '')
          throw unavailable('env', name, `variable ${variable} is not set`);
        return checked('env', name, value);
      });
    },
    refresh() {},
  };
}

export interface CommandProviderOptions {
  /** Secret name → argv of the program that prints it on stdout. */
  readonly commands: Readonly<Record<string, readonly string[]>>;
  readonly runCommand: RunCommand;
  /** How long a fetched value is reused (default 5 min; 0 disables caching). */
  readonly ttlMs?: number;
  readonly clock?: Clock;
}

export function commandProvider(opts: CommandProviderOptions): SecretProvider {
  const clock = opts.clock ?? systemClock;
  const ttl = opts.ttlMs ?? 5 * 60 * 1000;
  const cache = new Map<string, { value: string; at: number }>();
  const inflight = new Map<string, Promise<string>>();
  for (const [name, argv] of Object.entries(opts.commands)) {
    assertSecretName(name);
    if (argv.length === 0 || argv.some((a) => typeof a !== 'string')) {
      throw new TypeError(`command for secret ${name} must be a non-empty argv array`);
    }
  }
  async function fetchValue(name: string, argv: readonly string[]): Promise<string> {
    let out: string;
    try {
      out = await opts.runCommand(argv);
    } catch {
      throw unavailable('command', name, `command ${argv[0]} failed`);
    }
    const value = out.replace(/\r?\n$/, '');
    if (value.length === 0) throw unavailable('command', name, `command ${argv[0]} printed nothing`);
    checked('command', name, value);
    cache.set(name, { value, at: clock.now() });
    return value;
  }
  return {
    kind: 'command',
    get(name) {
      assertSecretName(name);
      const argv = Object.hasOwn(opts.commands, name) ? opts.commands[name] : undefined;
      if (argv === undefined) return Promise.reject(unavailable('command', name, 'no command configured'));
      const hit = cache.get(name);
      if (hit !== undefined && ttl > 0 && clock.now() - hit.at < ttl) return Promise.resolve(hit.value);
      const running = inflight.get(name);
      if (running !== undefined) return running;
      const p = fetchValue(name, argv).finally(() => inflight.delete(name));
      inflight.set(name, p);
      return p;
    },
    refresh(name) {
      if (name === undefined) cache.clear();
      else cache.delete(name);
    },
  };
}
