import { join } from 'node:path';
import type { Store } from './port.ts';
import { openSqlite } from './sqlite.ts';
import { openPostgres } from './postgres.ts';
import { StoreError } from './errors.ts';

export interface OpenStoreOptions {
  /** `postgres://…` for the shared store; absent for the embedded SQLite store in dataDir. */
  readonly url?: string | undefined;
  readonly dataDir: string;
  readonly schema?: string;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const url = options.url;
  if (url === undefined || url === '') return openSqlite(join(options.dataDir, 'warden.db'));
  if (/^postgres(ql)?:\/\//.test(url)) {
    return openPostgres(url, options.schema === undefined ? {} : { schema: options.schema });
  }
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  throw new StoreError(
    'ERR_STORE_URL',
    `store.url must start with postgres:// or sqlite: (got scheme ${url.split(':')[0]})`,
  );
}
