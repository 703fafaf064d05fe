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

/** The emulator behind its authenticating front, with a trusted service-account key and an admin client. */
export interface AuthorizedBigquery {
  /** The front's URL: the source's `apiEndpoint`. */
  url: string;
  /** A service-account key JSON the front trusts: the source's `credentials`. */
  keyJson: string;
  /** Runs statements (GoogleSQL) as that service account, with `dataset` as the default. */
  sql(...statements: string[]): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/** Starts {@link startBigqueryEmulator} behind test/servers/bigquery/front.ts with one trusted key. */
export async function startAuthorizedBigquery(options: { project: string; dataset: string }): Promise<AuthorizedBigquery> {
  const { generateKeyPairSync } = await import('node:crypto');
  const { BigQuery } = await import('@google-cloud/bigquery');
  const { JWT } = await import('google-auth-library');
  const { startBigqueryFront } = await import('../servers/bigquery/front.js');
  const email = `ebb-test@${options.project}.iam.gserviceaccount.com`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyJson = JSON.stringify({ type: 'service_account', project_id: options.project, private_key_id: 'k1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: email, client_id: '1' });
  const emulator = await startBigqueryEmulator(options);
  const front = await startBigqueryFront(emulator.url);
  front.trust(email, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const jwt = new JWT({ scopes: ['https://www.googleapis.com/auth/bigquery'] });
  jwt.fromJSON(JSON.parse(keyJson) as Record<string, string>);
  jwt.useJWTAccessWithScope = true;
  const admin = new BigQuery({ projectId: options.project, apiEndpoint: emulator.url, authClient: jwt });
  return {
    url: front.url,
    keyJson,
    async sql(...statements) {
      let rows: Record<string, unknown>[] = [];
      for (const query of statements) [rows] = await admin.query({ query, useLegacySql: false, defaultDataset: { projectId: options.project, datasetId: options.dataset } });
      return rows;
    },
    async stop() {
      await front.close();
      await emulator.stop();
    },
  };
}
