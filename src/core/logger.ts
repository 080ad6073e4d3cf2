/**
 * The logger port. Domain code logs through this; the process root binds it to pino and
 * wraps it with the secret redactor. Fields must never hold secrets, tokens or header values.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

export const silentLogger: Logger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
});

/** Collects log lines in memory: tests assert on what was (and was not) logged. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; msg: string; fields: LogFields }[];
  readonly #bindings: LogFields;
  constructor(lines: { level: string; msg: string; fields: LogFields }[] = [], bindings: LogFields = {}) {
    this.lines = lines;
    this.#bindings = bindings;
  }
  #push(level: string, msg: string, fields: LogFields = {}): void {
    this.lines.push({ level, msg, fields: { ...this.#bindings, ...fields } });
  }
  debug(msg: string, fields?: LogFields): void {
    this.#push('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#push('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#push('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#push('error', msg, fields);
  }
  child(bindings: LogFields): Logger {
    return new MemoryLogger(this.lines, { ...this.#bindings, ...bindings });
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.fields)}`).join('\n');
  }
}
