import { configError, isEbbError } from '../domain/errors';
import type { SourceSpec } from '../domain/spec/schema';
import type { SyncLogRow } from '../domain/sync-log';
import type { ConnectorContext } from '../connectors/types';
import { openSource, using } from './connect';

/** Where a sync's log goes: its own source warehouse, and the table the spec names. */
export interface SyncLogTarget {
  source: SourceSpec;
  table: string;
}

/**
 * Appends a run's rows to the sync log. Transient failures are retried here a few times; what
 * still fails is returned, not thrown: the run is already committed, and a sync log the
 * warehouse refuses must not turn a good run into a failed one. The caller logs it.
 */
export async function appendSyncLog(target: SyncLogTarget, rows: readonly SyncLogRow[], ctx: ConnectorContext, attempts = 3): Promise<Error | undefined> {
  let last: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await using(openSource(target.source, ctx), async (s) => {
        if (!s.appendSyncLog) throw configError(`a ${target.source.kind} source cannot keep a sync log`, { path: 'syncLog' });
        await s.appendSyncLog(target.table, rows);
      });
      return undefined;
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
      if (isEbbError(err) && err.nonRetryable) break;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
  return last;
}
