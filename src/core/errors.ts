/**
 * The error model. Codes are the contract: callers branch on `.code`, never on `.message`.
 * Each domain subclasses `AppError` with its own literal union of codes.
 *
 * Never put a token, secret, header or env value into a message or a `cause`:
 * identify things by id or fingerprint instead.
 */
export class AppError<C extends string = string> extends Error {
  readonly code: C;
  /** Structured, secret-free details (ids, paths, counts) for logs and `--json` output. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: C, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...details });
  }

  toJSON(): { code: C; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** A short, secret-free description of an unknown thrown value (for logs). */
export function describeError(err: unknown): string {
  if (err instanceof AppError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return typeof err;
}
