import { AppError } from '../core/index.ts';

export type StoreErrorCode =
  'ERR_STORE_OPEN' | 'ERR_STORE_QUERY' | 'ERR_STORE_CLOSED' | 'ERR_STORE_MIGRATION' | 'ERR_STORE_URL';

export class StoreError extends AppError<StoreErrorCode> {}
