import { AppError } from '../core/index.ts';

export type ScanErrorCode = 'ERR_SCAN_INPUT' | 'ERR_SCAN_LIMITS';

/** Bad untrusted input to the scanner (not a tool list, not an object). */
export class ScanError extends AppError<ScanErrorCode> {}
