import { AppError } from '../core/index.ts';

/**
 * - `ERR_POLICY_INVALID`: a policy file does not parse or does not validate against the schema
 *   (the message names the file, line and column and carries Cedar's diagnostic).
 * - `ERR_POLICY_IO`: the policies directory or a file in it cannot be read.
 */
export type PolicyErrorCode = 'ERR_POLICY_INVALID' | 'ERR_POLICY_IO';

export class PolicyError extends AppError<PolicyErrorCode> {}
