import { z } from 'zod';

/** One signed checkpoint as stored (a line of audit-checkpoints.log or a --checkpoint file). */
export const checkpointSchema = z.strictObject({
  v: z.literal(1),
  origin: z.string().min(1).max(200),
  size: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'),
  time: z.number().int(),
  keyId: z.string().min(1).max(100),
  sig: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
});
