export { AppError, isAppError, describeError } from './errors.ts';
export type { Ok, Err, Result } from './result.ts';
export { ok, err, assertNever } from './result.ts';
export { newId, newSessionId, newTraceId, newSpanId } from './ids.ts';
export type { Clock } from './clock.ts';
export { systemClock, ManualClock } from './clock.ts';
export type { Logger, LogFields } from './logger.ts';
export { silentLogger, MemoryLogger } from './logger.ts';
export { canonicalJson } from './canonical-json.ts';
