/**
 * The state the safety steps keep: before-images for rollback, the canary's read-back sample,
 * and the record of rollbacks. Row data lives here, in the state store, and never in history.
 */
import type { WriteOp } from '../connectors/types';
import type { SqlDriver } from './sql-driver';

/** What one record held before a run wrote it. */
export interface BeforeImage {
  seq: number;
  key: string;
  /** The operation the run performed on it. */
  op: WriteOp;
  /** JSON of the destination's id field value. */
  idValue: string;
  /** False: the run created it, so a rollback deletes it. */
  existed: boolean;
  /** The fields the run changed, as they were (null when the record did not exist). */
  image: Record<string, unknown> | null;
}

/** A later run's acknowledged change to a record a rollback would restore. */
export interface LaterChange {
  runId: string;
  records: number;
}

/** What a rollback did to one destination. */
export interface RollbackCounts {
  restored: number;
  deleted: number;
  failed: number;
}

/** Rows per multi-row INSERT of before-images (7 parameters a row). */
const INSERT_ROWS = 500;

/** Before-images, canary samples and rollbacks over the state store's driver. */
export class SafetyStore {
  constructor(private readonly driver: SqlDriver) {}

  /**
   * Saves before-images. A record already imaged in this run keeps its first image: a retried
   * chunk reads what its own first attempt may have written, which is not the "before".
   */
  async saveBeforeImages(runId: string, dest: string, images: readonly BeforeImage[]): Promise<void> {
    for (let i = 0; i < images.length; i += INSERT_ROWS) {
      const part = images.slice(i, i + INSERT_ROWS);
      const params: unknown[] = [runId, dest];
      const values = part.map((b) => {
        params.push(b.key, b.op, b.idValue, b.image === null ? null : JSON.stringify(b.image));
        const n = params.length;
        return `($1, $2, ${Math.trunc(b.seq)}, $${n - 3}, $${n - 2}, $${n - 1}, ${b.existed ? 'TRUE' : 'FALSE'}, $${n}, now())`;
      });
      await this.driver.exec(
        `INSERT INTO ebb_before_images (run_id, dest, seq, key, op, id_value, existed, image, captured_at) VALUES ${values.join(', ')}
         ON CONFLICT (run_id, dest, seq) DO NOTHING`,
        params,
      );
    }
  }

  /** Before-images of a run's destination with seq > `afterSeq`, in seq order. */
  async readBeforeImages(runId: string, dest: string, afterSeq: number, limit: number): Promise<BeforeImage[]> {
    const rows = await this.driver.query<{ seq: number; key: string; op: WriteOp; id_value: string; existed: boolean; image: string | null }>(
      `SELECT seq, key, op, id_value, existed, image FROM ebb_before_images WHERE run_id = $1 AND dest = $2 AND seq > ${Math.trunc(afterSeq)}
       ORDER BY seq LIMIT ${Math.trunc(limit)}`,
      [runId, dest],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      key: r.key,
      op: r.op,
      idValue: r.id_value,
      existed: Boolean(r.existed),
      image: r.image === null ? null : (JSON.parse(r.image) as Record<string, unknown>),
    }));
  }

  /** How many before-images a run's destination has. */
  async countBeforeImages(runId: string, dest: string): Promise<number> {
    const [r] = await this.driver.query(`SELECT count(*) AS n FROM ebb_before_images WHERE run_id = $1 AND dest = $2`, [runId, dest]);
    return Number(r?.n ?? 0);
  }

  /** Later runs of the same sync (not themselves rolled back) whose acknowledged changes touched records this run imaged. */
  async laterChanges(runId: string, dest: string): Promise<LaterChange[]> {
    const rows = await this.driver.query<{ run_id: string; n: number }>(
      `SELECT c.run_id, count(DISTINCT c.key) AS n
       FROM ebb_before_images b
       JOIN ebb_changes c ON c.dest = b.dest AND c.key = b.key AND c.run_id <> b.run_id
       JOIN ebb_chunk_acks a ON a.run_id = c.run_id AND a.dest = c.dest AND a.chunk = c.chunk
       JOIN ebb_runs later ON later.run_id = c.run_id
       JOIN ebb_runs this_run ON this_run.run_id = b.run_id
       WHERE b.run_id = $1 AND b.dest = $2 AND later.sync = this_run.sync AND later.started_at > this_run.started_at
         AND NOT EXISTS (SELECT 1 FROM ebb_rollbacks rb WHERE rb.run_id = c.run_id AND rb.dest = c.dest)
       GROUP BY c.run_id ORDER BY c.run_id`,
      [runId, dest],
    );
    return rows.map((r) => ({ runId: r.run_id, records: Number(r.n) }));
  }

  /**
   * A read-back sample: up to `limit` changes in chunks `[0, chunks)` that the destination
   * acknowledged without rejecting, and that leave a record behind (not deletes). Ordered by row
   * hash, so the sample is spread over the chunks yet the same on every retry.
   */
  async canarySample(runId: string, dest: string, chunks: number, limit: number): Promise<Array<{ seq: number; fields: Record<string, unknown> }>> {
    const rows = await this.driver.query<{ seq: number; payload: string }>(
      `SELECT c.seq, c.payload FROM ebb_changes c
       JOIN ebb_chunk_acks a ON a.run_id = c.run_id AND a.dest = c.dest AND a.chunk = c.chunk
       LEFT JOIN ebb_row_outcomes o ON o.run_id = c.run_id AND o.dest = c.dest AND o.seq = c.seq
       WHERE c.run_id = $1 AND c.dest = $2 AND c.chunk < ${Math.trunc(chunks)} AND o.seq IS NULL AND c.op <> 'delete' AND c.payload IS NOT NULL
       ORDER BY c.row_hash, c.seq LIMIT ${Math.trunc(limit)}`,
      [runId, dest],
    );
    return rows.map((r) => ({ seq: Number(r.seq), fields: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  /**
   * Records a finished rollback, and makes the committed snapshot tell the truth again: keys the
   * run had committed are forgotten (the next run compares them afresh), and records the run
   * deleted and the rollback re-created are known to be held again.
   */
  async finishRollback(r: { runId: string; sync: string; dest: string; reason: string; counts: RollbackCounts }): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await tx.exec(`DELETE FROM ebb_snapshots WHERE sync = $3 AND dest = $2 AND committed_run = $1`, [r.runId, r.dest, r.sync]);
      await tx.exec(
        `DELETE FROM ebb_snapshots WHERE sync = $3 AND dest = $2 AND key IN (SELECT key FROM ebb_before_images WHERE run_id = $1 AND dest = $2 AND op = 'delete' AND existed)`,
        [r.runId, r.dest, r.sync],
      );
      // The re-created records get a hash no payload has: the next run compares them afresh.
      // Typed parameters: PostgreSQL refuses one it deduces as text in the list, varchar in WHERE.
      await tx.exec(
        `INSERT INTO ebb_snapshots (sync, dest, key, row_hash, dest_id, committed_run)
         SELECT CAST($3 AS VARCHAR), CAST($2 AS VARCHAR), key, '00000000000000000000000000000000', id_value, CAST($1 AS VARCHAR)
         FROM ebb_before_images WHERE run_id = $1 AND dest = $2 AND op = 'delete' AND existed`,
        [r.runId, r.dest, r.sync],
      );
      await tx.exec(`UPDATE ebb_run_destinations SET status = 'rolled-back' WHERE run_id = $1 AND dest = $2 AND status = 'committed'`, [r.runId, r.dest]);
      await tx.exec(`DELETE FROM ebb_rollbacks WHERE run_id = $1 AND dest = $2`, [r.runId, r.dest]);
      await tx.exec(
        `INSERT INTO ebb_rollbacks (run_id, dest, reason, restored, deleted, failed, finished_at)
         VALUES ($1, $2, $3, ${Math.trunc(r.counts.restored)}, ${Math.trunc(r.counts.deleted)}, ${Math.trunc(r.counts.failed)}, now())`,
        [r.runId, r.dest, r.reason],
      );
    });
  }

  /** The rollback done for a run's destination, if any. */
  async rollbackOf(runId: string, dest: string): Promise<(RollbackCounts & { reason: string | null }) | undefined> {
    const [r] = await this.driver.query<{ reason: string | null; restored: number; deleted: number; failed: number }>(
      `SELECT reason, restored, deleted, failed FROM ebb_rollbacks WHERE run_id = $1 AND dest = $2`,
      [runId, dest],
    );
    return r ? { reason: r.reason, restored: Number(r.restored), deleted: Number(r.deleted), failed: Number(r.failed) } : undefined;
  }
}
