/**
 * Runs goccy's BigQuery emulator (scripts/lib/bigquery-emulator.sh builds it) as a child
 * process on free ports, with one project and one dataset, in memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The emulator binary: $EBB_BIGQUERY_EMULATOR_PATH, else the cached build. */
export function bigqueryEmulatorPath(): string {
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  const found = process.env.EBB_BIGQUERY_EMULATOR_PATH ?? path.join(cache, 'ebb', 'bigquery-emulator-v0.8.1', 'bigquery-emulator');
  if (!existsSync(found)) {
    throw new Error(`no BigQuery emulator at ${found}: run \`source scripts/lib/bigquery-emulator.sh && ebb_ensure_bigquery_emulator\``);
  }
  return found;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A running emulator. */
export interface BigqueryEmulator {
  /** `http://127.0.0.1:PORT`: the client's apiEndpoint. */
  url: string;
  stop(): Promise<void>;
}

/** Starts the emulator and waits until its REST API answers. */
export async function startBigqueryEmulator(options: { project: string; dataset: string }): Promise<BigqueryEmulator> {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    bigqueryEmulatorPath(),
    [`--project=${options.project}`, `--dataset=${options.dataset}`, '--host=127.0.0.1', `--port=${port}`, `--grpc-port=${grpcPort}`, '--log-level=error'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`the BigQuery emulator exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/bigquery/v2/projects/${options.project}/datasets`);
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error('the BigQuery emulator did not answer within 60 s');
}
