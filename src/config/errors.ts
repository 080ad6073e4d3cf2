import { AppError } from '../core/index.ts';

export type ConfigErrorCode =
  'ERR_CONFIG_NOT_FOUND' | 'ERR_CONFIG_SYNTAX' | 'ERR_CONFIG_INVALID' | 'ERR_CONFIG_EXISTS';

/** A configuration problem; `details.issues` lists every `{ file, line, col, path, message }`. */
export class ConfigError extends AppError<ConfigErrorCode> {}
