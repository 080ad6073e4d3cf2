import { AppError } from '../core/index.ts';

export type SandboxErrorCode =
  'ERR_LAUNCH_FAILED' | 'ERR_SANDBOX_UNAVAILABLE' | 'ERR_SANDBOX_SELF_TEST' | 'ERR_SANDBOX_CONFIG';

export class SandboxError extends AppError<SandboxErrorCode> {}
