import { SYNC_LOG_ADDED_COLUMNS, SYNC_LOG_COLUMNS, type SyncLogRow, type SyncLogType } from '../../domain/sync-log';

/** Per-dialect names of the sync-log column types. */
export type SyncLogTypeNames = Record<SyncLogType, string>;

/** `"schema"."table"` from a name {@link SYNC_LOG_TABLE_PATTERN} accepted. */
export function quotedTable(table: string): string {
  return table
    .split('.')
    .map((p) => `"${p}"`)
    .join('.');
}

/** `CREATE TABLE IF NOT EXISTS` for the sync log, in a dialect's types, then the columns added since for older tables. */
export function createSyncLogSql(table: string, types: SyncLogTypeNames): string[] {
  const added = SYNC_LOG_COLUMNS.filter((c) => SYNC_LOG_ADDED_COLUMNS.includes(c.name));
  return [
    `CREATE TABLE IF NOT EXISTS ${quotedTable(table)} (${SYNC_LOG_COLUMNS.map((c) => `"${c.name}" ${types[c.type]}`).join(', ')})`,
    ...added.map((c) => `ALTER TABLE ${quotedTable(table)} ADD COLUMN IF NOT EXISTS "${c.name}" ${types[c.type]}`),
  ];
}

/** One parameterised multi-row INSERT (`$1, $2, …`), and its parameters. */
export function insertSyncLogSql(table: string, rows: readonly SyncLogRow[], types: SyncLogTypeNames): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map(
    (r) =>
      `(${SYNC_LOG_COLUMNS.map((c) => {
        params.push(r[c.name] ?? null);
        return `CAST($${params.length} AS ${types[c.type]})`;
      }).join(', ')})`,
  );
  return { sql: `INSERT INTO ${quotedTable(table)} (${SYNC_LOG_COLUMNS.map((c) => `"${c.name}"`).join(', ')}) VALUES ${tuples.join(', ')}`, params };
}
