import { isAppError } from '../core/index.ts';

/** Exit codes: 0 ok, 1 failure (a check failed, an error), 2 usage. */
export const EXIT = { OK: 0, FAIL: 1, USAGE: 2 } as const;

export interface GlobalOptions {
  readonly config: string;
  readonly dataDir?: string;
  readonly json?: boolean;
}

/** Command results go to stdout: JSON for machines with --json, text for people otherwise. */
export function print(opts: { json?: boolean }, value: unknown, human: () => string): void {
  process.stdout.write(opts.json === true ? JSON.stringify(value, null, 2) + '\n' : human() + '\n');
}

/** Errors go to stderr, with the error code; never a stack for an expected error. */
export function reportError(e: unknown, json: boolean): number {
  if (isAppError(e)) {
    if (json) process.stderr.write(JSON.stringify({ error: e.toJSON() }) + '\n');
    else process.stderr.write(`warden: ${e.message} [${e.code}]\n`);
    return EXIT.FAIL;
  }
  const err = e as { code?: string; message?: string; stack?: string };
  if (typeof err.code === 'string' && err.code.startsWith('commander.')) return EXIT.USAGE;
  process.stderr.write(`warden: unexpected error: ${err.stack ?? String(e)}\n`);
  return EXIT.FAIL;
}

/** A table for people: columns padded to the widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** commander option parser for a repeatable flag (`--role a --role b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
