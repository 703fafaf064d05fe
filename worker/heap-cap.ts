/**
 * The worker can cap its own V8 heap (and tune glibc's malloc, below). Left alone, V8 lets a busy process's heap grow to a quarter
 * of the machine's RAM (up to 4 GB) before collecting in earnest: the plan's short-lived rows
 * pushed a 1M-row sync's worker to ~300 MB of heap, mostly garbage. With a cap, V8 collects
 * sooner and peak RSS drops by about that much (the live heap of a warehouse-to-database sync
 * stays under ~110 MB: rows are streamed in bounded batches), for about 15% less throughput.
 *
 * Heap limits can only be set at start-up, so when none was given (`--max-old-space-size` on
 * the command line or in NODE_OPTIONS) the worker replaces itself, before doing anything, with
 * the same command plus the flag: `process.execve`, same pid, same stdio. `EBB_WORKER_HEAP_MB`
 * sets the cap; it is off by default ({@link DEFAULT_HEAP_MB}), because a worker that loads the
 * SaaS client libraries (google-ads-api alone is ~200 MB) needs more heap than a
 * warehouse-to-database one, and a cap too small crashes the worker rather than slowing it.
 */
export const DEFAULT_HEAP_MB = 0;

/** Re-executes the process with a heap cap when it has none; returns when no re-exec is needed. */
export function capOwnHeap(env: NodeJS.ProcessEnv = process.env): void {
  const mb = heapCapMb(env);
  if (mb === undefined) return;
  if (env.EBB_HEAP_CAPPED === String(mb)) return; // already re-executed: never loop
  if (typeof process.execve !== 'function') return; // Node < 22.15: run uncapped
  process.execve(process.execPath, [process.execPath, `--max-old-space-size=${mb}`, ...process.execArgv, ...process.argv.slice(1)], {
    ...env,
    // glibc keeps a malloc arena per thread that ever allocated (up to 8 per core), each holding
    // on to freed memory; the worker's threads (libuv, DuckDB, Temporal core) made that tens of
    // MB. Two arenas measured ~30 MB lower peak RSS at the same speed. The operator's value wins.
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2',
    // Blocks of 256 KB and up (DuckDB's buffers, the stage's text batches) mapped on their own,
    // so freeing one gives it back to the system instead of leaving a hole in an arena.
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? String(256 * 1024),
    EBB_HEAP_CAPPED: String(mb),
  });
}

/** The cap to apply, or undefined when the operator set one or asked for none. */
export function heapCapMb(env: NodeJS.ProcessEnv, execArgv: readonly string[] = process.execArgv): number | undefined {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (given.some((a) => a.startsWith('--max-old-space-size') || a.startsWith('--max_old_space_size'))) return undefined;
  const raw = env.EBB_WORKER_HEAP_MB ?? String(DEFAULT_HEAP_MB);
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 0) throw new Error(`EBB_WORKER_HEAP_MB must be a whole number of MB (0 for V8's default), not "${raw}"`);
  return mb === 0 ? undefined : mb;
}
