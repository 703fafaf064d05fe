import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * With `EBB_CPU_PROFILE=<file>`, profiles the worker's main thread from start to shutdown and
 * writes a `.cpuprofile` (Chrome DevTools format) there: `node --cpu-prof` cannot be passed
 * through NODE_OPTIONS, and the benchmark starts the worker itself. Returns the function that
 * stops profiling and writes the file (a no-op when unset).
 */
export function startCpuProfile(file = process.env.EBB_CPU_PROFILE): () => Promise<void> {
  if (!file) return async () => undefined;
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (err, out) => (err ? reject(err) : resolve(out))));
  const started = post('Profiler.enable').then(() => post('Profiler.start'));
  return async () => {
    await started;
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
