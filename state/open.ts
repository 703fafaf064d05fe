import { configError } from '../domain/errors';
import { openDuckdbDriver } from './duckdb-driver';
import { openPostgresDriver } from './postgres-driver';
import { StateStore } from './store';

/**
 * Opens the state store named by a URL and creates its tables:
 * - `duckdb:<path>` (the embedded default, e.g. `duckdb:.ebb/state.duckdb`), or a bare path;
 * - `postgres://…` / `postgresql://…` for shared deployments (tables in schema `ebb`).
 */
export async function openStateStore(url: string): Promise<StateStore> {
  const driver = /^postgres(ql)?:\/\//.test(url)
    ? await openPostgresDriver(url)
    : url.startsWith('duckdb:') || !url.includes('://')
      ? await openDuckdbDriver(url.replace(/^duckdb:/, ''))
      : undefined;
  if (!driver) throw configError(`unsupported state store URL scheme in "${url.replace(/\/\/[^@]*@/, '//***@')}"; use duckdb:<path> or postgres://…`, { path: 'EBB_STATE_URL' });
  const store = new StateStore(driver);
  await store.migrate();
  return store;
}
