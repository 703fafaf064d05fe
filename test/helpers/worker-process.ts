import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** An ebb worker in its own process (so its RSS is its own, and it can be killed). */
export interface WorkerProcess {
  child: ChildProcess;
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number;
  /** Waits until the worker logged that it is polling. */
  ready: Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `worker/main.ts` with the given environment on top of this process's. */
export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker/main.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('ebb worker:')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
      if (process.env.EBB_DEBUG_WORKER) process.stderr.write(b);
    });
    child.once('exit', (code, signal) => reject(new Error(`worker exited early (${code ?? signal}):\n${out.slice(-2000)}`)));
  });
  ready.catch(() => undefined);
  let peak = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* the process is gone */
    }
  };
  const timer = setInterval(sample, 200);
  return {
    child,
    ready,
    peakRssMb: () => {
      sample();
      return peak;
    },
    stop: async (signal = 'SIGTERM') => {
      sample();
      clearInterval(timer);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(signal);
      await exited;
    },
  };
}
