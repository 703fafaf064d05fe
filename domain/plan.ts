import type { SchemaDrift } from './alerts';

/**
 * The plan's shape: plain counts and sizes that cross workflow history. No rows, no keys.
 */

/** Counts for one destination's change set. */
export interface DestinationPlan {
  destination: string;
  /** Rows new to this destination. */
  adds: number;
  /** Rows whose mapped fields changed since the last committed snapshot. */
  changes: number;
  /** Rows gone from the model (sent as deletes only in mirror mode). */
  removes: number;
  /** Rows sent again although unchanged (a full resync). */
  resends: number;
  /** Rows read whose mapped fields are unchanged: not sent. */
  unchanged: number;
  /** Rows sharing a primary key with another row: reported, never sent. */
  duplicates: number;
  /** Staged changes to send: seq 1..total. */
  total: number;
  /** Rows per chunk (the destination's batch size). */
  chunkSize: number;
  /** Number of chunks. */
  chunks: number;
  /** Content hash of the destination's mapping (see domain/mapping.ts `mappingVersion`). */
  mappingVersion?: string;
  /** Rows the destination held per the committed snapshot before this run (for the delete-share gate). */
  committedRows?: number;
  /**
   * In-warehouse change detection: rows the warehouse's diff handed out (candidates, removed
   * keys included) out of the model's rows; the rest never left the warehouse.
   */
  warehouseCandidates?: number;
  /** Hash total of the change set ("before"): `count/sum` of 32-bit row-hash prefixes (state/hash-total.ts). */
  hashTotal?: string;
  /** Canary runs: changes in the cohort; they fill chunks `[0, canaryChunks)` and are written first. */
  canaryRows?: number;
  canaryChunks?: number;
  /** Rows never sent to this destination, by reason (`consent:advertising:missing`, `identity:missing`). */
  suppressed?: Record<string, number>;
}

/** The result of the plan step. */
export interface RunPlan {
  runId: string;
  /** Rows the source returned. */
  rowsRead: number;
  /** Rows with a null primary key: reported, never sent. */
  nullKeys: number;
  /** Highest cursor seen (watermark mode), as a number. */
  watermarkHigh?: number;
  /** Content hash of the model (its SQL or table), for provenance. */
  modelVersion?: string;
  /** Rows the last committed run read (for volume anomalies). */
  previousRowsRead?: number;
  /** How the model's columns changed since the last committed run. */
  schemaDrift?: SchemaDrift;
  /** Content hash of the consent policy applied, when the sync has one. */
  policyVersion?: string;
  destinations: DestinationPlan[];
}

/** Row outcome counts for one destination, and the bytes of payload sent. */
export interface OutcomeCounts {
  ok: number;
  rejected: number;
  retryable: number;
  bytesSent: number;
}

/** Adds two outcome counts. */
export function addOutcomes(a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts {
  return { ok: a.ok + b.ok, rejected: a.rejected + b.rejected, retryable: a.retryable + b.retryable, bytesSent: a.bytesSent + b.bytesSent };
}

/** Zero counts. */
export const NO_OUTCOMES: OutcomeCounts = Object.freeze({ ok: 0, rejected: 0, retryable: 0, bytesSent: 0 });
