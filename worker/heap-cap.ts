/**
 * The worker tunes its own V8 heap (and glibc's malloc, below). Left alone, V8 lets a busy
 * process's heap grow up to four times its live size between full collections: the plan's
 * short-lived rows pushed a 1M-row sync's worker to ~400 MB of heap, mostly garbage, while
 * its live heap stays near 100 MB (rows are streamed in bounded batches).
 *
 * By default the worker sets V8's heap growing factor to 1.2 ({@link DEFAULT_HEAP_GROWTH_PERCENT}):
 * after each full collection the heap may grow 20% past what survived before the next one.
 * That is not a cap: a worker that needs more heap (one that loads the SaaS client libraries,
 * google-ads-api alone is ~120 MB of live heap) still gets it, only collected sooner. With it, a
 * 16 MB young generation ({@link DEFAULT_SEMI_SPACE_MB}). Measured on the 1M-row benchmark: peak
 * RSS ~500 MB instead of ~800 MB, and no slower. `EBB_WORKER_HEAP_MB` adds a hard
 * cap (`--max-old-space-size`) for operators who size containers by it; a cap too small crashes
 * the worker rather than slowing it.
 *
 * V8 flags can only be set at start-up, so unless the operator set them (on the command line or
 * in NODE_OPTIONS) the worker replaces itself, before doing anything, with the same command plus
 * the flags: `process.execve`, same pid, same stdio.
 */
export const DEFAULT_HEAP_MB = 0;

/** V8's `--heap-growing-percent` unless `EBB_WORKER_HEAP_GROWTH` says otherwise (0: V8's own heuristics). */
export const DEFAULT_HEAP_GROWTH_PERCENT = 20;

/**
 * V8's `--max-semi-space-size` (MB) unless `EBB_WORKER_SEMI_SPACE_MB` says otherwise (0: V8's
 * default, smaller). A young generation that holds a few source batches lets their rows die
 * there instead of being promoted: with the growing factor alone, promoted garbage set off a
 * full collection every few MB and the 1M-row sync ran ~30% slower; with both, it runs as fast
 * as with neither, at the lower memory.
 */
export const DEFAULT_SEMI_SPACE_MB = 16;

/** Re-executes the process with its heap flags when it has none; returns when no re-exec is needed. */
export function capOwnHeap(env: NodeJS.ProcessEnv = process.env): void {
  const flags = heapFlags(env);
  if (flags.length === 0) return;
  const mark = flags.join(' ');
  if (env.EBB_HEAP_CAPPED === mark) return; // already re-executed: never loop
  if (typeof process.execve !== 'function') return; // Node < 22.15: run with V8's defaults
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], {
    ...env,
    // glibc keeps a malloc arena per thread that ever allocated (up to 8 per core), each holding
    // on to freed memory; the worker's threads (libuv, DuckDB, Temporal core) made that tens of
    // MB. Two arenas measured ~30 MB lower peak RSS at the same speed. The operator's value wins.
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2',
    // Blocks of 256 KB and up (DuckDB's buffers, the stage's text batches) mapped on their own,
    // so freeing one gives it back to the system instead of leaving a hole in an arena.
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? String(256 * 1024),
    EBB_HEAP_CAPPED: mark,
  });
}

/** The V8 flags to add: a heap growing factor and an optional cap, each unless the operator set its own. */
export function heapFlags(env: NodeJS.ProcessEnv, execArgv: readonly string[] = process.execArgv): string[] {
  const flags: string[] = [];
  const mb = heapCapMb(env, execArgv);
  if (mb !== undefined) flags.push(`--max-old-space-size=${mb}`);
  const growth = heapGrowthPercent(env, execArgv);
  if (growth !== undefined) flags.push(`--heap-growing-percent=${growth}`);
  if (!given(env, execArgv, 'max-semi-space-size')) {
    const semi = wholeNumber(env, 'EBB_WORKER_SEMI_SPACE_MB', DEFAULT_SEMI_SPACE_MB, "0 for V8's default");
    if (semi > 0) flags.push(`--max-semi-space-size=${semi}`);
  }
  return flags;
}

/** The cap to apply, or undefined when the operator set one or asked for none. */
export function heapCapMb(env: NodeJS.ProcessEnv, execArgv: readonly string[] = process.execArgv): number | undefined {
  if (given(env, execArgv, 'max-old-space-size')) return undefined;
  const mb = wholeNumber(env, 'EBB_WORKER_HEAP_MB', DEFAULT_HEAP_MB, "0 for V8's default");
  return mb === 0 ? undefined : mb;
}

/** The heap growing percent to apply, or undefined when the operator set one or asked for V8's own. */
export function heapGrowthPercent(env: NodeJS.ProcessEnv, execArgv: readonly string[] = process.execArgv): number | undefined {
  if (given(env, execArgv, 'heap-growing-percent')) return undefined;
  const percent = wholeNumber(env, 'EBB_WORKER_HEAP_GROWTH', DEFAULT_HEAP_GROWTH_PERCENT, "0 for V8's heuristics");
  return percent === 0 ? undefined : percent;
}

/** Whether a V8 flag is on the command line or in NODE_OPTIONS (V8 takes `-` or `_`). */
function given(env: NodeJS.ProcessEnv, execArgv: readonly string[], flag: string): boolean {
  const names = [`--${flag}`, `--${flag.replace(/-/g, '_')}`];
  return [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => names.some((n) => a.startsWith(n)));
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, zero: string): number {
  const raw = env[name] ?? String(fallback);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number (${zero}), not "${raw}"`);
  return n;
}
