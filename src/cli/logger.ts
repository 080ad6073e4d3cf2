import pino from 'pino';
import type { Logger, LogFields } from '../core/index.ts';

/** Binds the Logger port to pino: JSON lines to stderr (stdout is for command results). */
export function pinoLogger(level: 'debug' | 'info' | 'warn' | 'error'): Logger {
  return wrap(pino({ level, base: { name: 'warden' } }, pino.destination(2)));
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg: string, fields?: LogFields) => p.debug(fields ?? {}, msg),
    info: (msg: string, fields?: LogFields) => p.info(fields ?? {}, msg),
    warn: (msg: string, fields?: LogFields) => p.warn(fields ?? {}, msg),
    error: (msg: string, fields?: LogFields) => p.error(fields ?? {}, msg),
    child: (bindings: LogFields) => wrap(p.child(bindings)),
  };
}
