import path from 'node:path';
import { DEFAULT_TASK_QUEUE } from '../workflows/types';

/** Worker settings, all from the environment (twelve-factor), with embedded defaults. */
export interface WorkerConfig {
  /** Temporal frontend, `host:port`. Env `TEMPORAL_ADDRESS`, default `localhost:7233`. */
  temporalAddress: string;
  /** Env `TEMPORAL_NAMESPACE`, default `default`. */
  namespace: string;
  /** Env `EBB_TASK_QUEUE`, default `ebb`. */
  taskQueue: string;
  /** Env `EBB_STATE_URL`: `duckdb:<path>` (default `duckdb:.ebb/state.duckdb`) or `postgres://…`. */
  stateUrl: string;
  /** Env `EBB_SYNCS_DIR`, default `syncs`: specs for syncs started by name. */
  syncsDir: string;
  /** Env `EBB_BASE_DIR`, default the current directory: relative paths in connector settings. */
  baseDir: string;
}

/** Reads {@link WorkerConfig} from an environment. */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const baseDir = path.resolve(env.EBB_BASE_DIR ?? process.cwd());
  return {
    temporalAddress: env.TEMPORAL_ADDRESS ?? 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.EBB_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    stateUrl: env.EBB_STATE_URL ?? `duckdb:${path.join(baseDir, '.ebb', 'state.duckdb')}`,
    syncsDir: path.resolve(baseDir, env.EBB_SYNCS_DIR ?? 'syncs'),
    baseDir,
  };
}
