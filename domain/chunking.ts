/**
 * Chunk arithmetic. A destination's staged changes carry dense sequence numbers 1..total, so
 * chunk i is the seq range [i*size+1, min((i+1)*size, total)] and needs no list in history:
 * the workflow carries only `total` and `size`. A retried chunk reads exactly the same rows.
 */

/** A contiguous run of chunks handled by one activity call. */
export interface ChunkSlice {
  /** First chunk index (0-based, inclusive). */
  from: number;
  /** Last chunk index (exclusive). */
  to: number;
}

/** Number of chunks needed for `total` changes of `size` rows each. */
export function chunkCount(total: number, size: number): number {
  if (size <= 0) throw new RangeError('chunk size must be positive');
  return Math.ceil(total / size);
}

/** The seq range of chunk `index`. */
export function chunkSeqRange(index: number, size: number, total: number): { seqFrom: number; seqTo: number } {
  return { seqFrom: index * size + 1, seqTo: Math.min((index + 1) * size, total) };
}

/** The chunk a seq belongs to. */
export function chunkOfSeq(seq: number, size: number): number {
  return Math.floor((seq - 1) / size);
}

/**
 * Splits `chunks` into slices of about `rowsPerSlice` rows, so one activity call does a useful
 * amount of work (fewer history events) while a retry redoes at most one slice's unacked chunks.
 */
export function sliceChunks(chunks: number, chunkSize: number, rowsPerSlice: number): ChunkSlice[] {
  const per = Math.max(1, Math.floor(rowsPerSlice / chunkSize));
  const slices: ChunkSlice[] = [];
  for (let from = 0; from < chunks; from += per) slices.push({ from, to: Math.min(from + per, chunks) });
  return slices;
}
