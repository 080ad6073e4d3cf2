/**
 * The broker: one place that resolves secrets through their providers and keeps the redactor in
 * step with every value that may be in flight (current values, rotated-out values inside the
 * grace period, canaries). The gateway holds one broker; `redactor()` is always current.
 */
import type { Clock } from '../core/index.ts';
import { systemClock } from '../core/index.ts';
import { SecretsError } from './errors.ts';
import type { SecretProvider } from './providers.ts';
import { createRedactor } from './redactor.ts';
import type { KnownSecret, Redactor } from './redactor.ts';
import { assertSecretName } from './schema.ts';
import type { SecretStore } from './store.ts';

export interface SecretBrokerOptions {
  /** Secret name → the provider that holds it (explicit: no patterns, no fallbacks). */
  readonly sources: Readonly<Record<string, SecretProvider>>;
  /** The built-in store: its current and in-grace values always join the redaction set. */
  readonly store?: SecretStore;
  readonly canaries?: readonly KnownSecret[];
  /** Run the pattern rules too (default true). */
  readonly patterns?: boolean;
  /** How long a value replaced through `refresh` stays in the redaction set (default 24 h). */
  readonly graceMs?: number;
  readonly clock?: Clock;
}

interface Held {
  readonly name: string;
  readonly value: string;
  /** When the value was replaced (null while current). */
  retiredAt: number | null;
}

export class SecretBroker {
  readonly #opts: SecretBrokerOptions;
  readonly #clock: Clock;
  readonly #graceMs: number;
  readonly #held: Held[] = [];
  #storeValues: KnownSecret[] = [];
  #redactor: Redactor;

  private constructor(opts: SecretBrokerOptions) {
    for (const name of Object.keys(opts.sources)) assertSecretName(name);
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#graceMs = opts.graceMs ?? 24 * 60 * 60 * 1000;
    this.#redactor = this.#build();
  }

  static async create(opts: SecretBrokerOptions): Promise<SecretBroker> {
    const b = new SecretBroker(opts);
    await b.reloadStore();
    return b;
  }

  /** The current redactor (rebuilt whenever the set of values changes). */
  redactor(): Redactor {
    if (this.#expire()) this.#redactor = this.#build();
    return this.#redactor;
  }

  /** Every value currently in the redaction set (for `warden secret verify`). */
  knownSecrets(): KnownSecret[] {
    this.#expire();
    return [...this.#storeValues, ...this.#held, ...(this.#opts.canaries ?? [])].map((s) => ({
      name: s.name,
      value: s.value,
    }));
  }

  /**
   * The current value of `name` as far as the broker knows, without asking a provider: the
   * store's newest version, else the value last resolved (undefined when never seen).
   */
  currentValue(name: string): string | undefined {
    const stored = this.#storeValues.filter((s) => s.name === name).at(-1);
    if (stored !== undefined) return stored.value;
    return this.#held.find((h) => h.name === name && h.retiredAt === null)?.value;
  }

  /**
   * The value of `name` from its configured provider; ERR_SECRET_UNAVAILABLE when there is no
   * provider or it fails (the caller fails closed). The value joins the redaction set before it
   * is returned.
   */
  async resolve(name: string): Promise<string> {
    assertSecretName(name);
    const provider = Object.hasOwn(this.#opts.sources, name) ? this.#opts.sources[name] : undefined;
    if (provider === undefined) {
      throw new SecretsError('ERR_SECRET_UNAVAILABLE', `secret ${name} has no configured provider`, { name });
    }
    const value = await provider.get(name);
    this.#hold(name, value);
    return value;
  }

  /** Resolves several names; any failure rejects the whole set (fail closed). */
  async resolveAll(names: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const n of names) out[n] = await this.resolve(n);
    return out;
  }

  /** Drops a provider's cache and resolves again; the old value stays redacted for the grace period. */
  async refresh(name: string): Promise<string> {
    assertSecretName(name);
    this.#opts.sources[name]?.refresh(name);
    return this.resolve(name);
  }

  /** Rotates a store secret and rebuilds the redactor (old value kept for the store's grace). */
  async rotate(name: string, newValue: string): Promise<void> {
    const store = this.#requireStore();
    await store.rotate(name, newValue);
    this.#opts.sources[name]?.refresh(name);
    await this.reloadStore();
  }

  /** Re-reads the store's redaction set (after `warden secret set|rm|rotate` by another process). */
  async reloadStore(): Promise<void> {
    this.#storeValues = this.#opts.store === undefined ? [] : await this.#opts.store.redactionSet();
    this.#redactor = this.#build();
  }

  #requireStore(): SecretStore {
    if (this.#opts.store === undefined) throw new TypeError('this broker has no secret store');
    return this.#opts.store;
  }

  #hold(name: string, value: string): void {
    const current = this.#held.find((h) => h.name === name && h.retiredAt === null);
    if (current?.value === value) return;
    if (current !== undefined) current.retiredAt = this.#clock.now();
    this.#held.push({ name, value, retiredAt: null });
    this.#redactor = this.#build();
  }

  #expire(): boolean {
    const cutoff = this.#clock.now() - this.#graceMs;
    const before = this.#held.length;
    for (let i = this.#held.length - 1; i >= 0; i--) {
      const r = this.#held[i]!.retiredAt;
      if (r !== null && r <= cutoff) this.#held.splice(i, 1);
    }
    return this.#held.length !== before;
  }

  #build(): Redactor {
    this.#expire();
    return createRedactor({
      values: [...this.#storeValues, ...this.#held, ...(this.#opts.canaries ?? [])],
      patterns: this.#opts.patterns ?? true,
    });
  }
}
