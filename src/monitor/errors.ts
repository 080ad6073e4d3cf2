import { AppError } from '../core/index.ts';

export type MonitorErrorCode =
  'ERR_MONITOR_CONFIG' | 'ERR_MONITOR_STORE' | 'ERR_MONITOR_BASELINE_CORRUPT' | 'ERR_MONITOR_EXPORT';

/** Errors raised by the monitor domain; callers branch on `.code`. */
export class MonitorError extends AppError<MonitorErrorCode> {}
