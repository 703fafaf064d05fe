import { Client, Connection } from '@temporalio/client';
import { dataConverterFromEnv } from '../../worker/codec/data-converter';
import { registerTracerProvider, spanProcessorFromEnv, tracingClientInterceptors } from '../../worker/tracing';

/**
 * A Temporal client from the environment: `TEMPORAL_ADDRESS` (default localhost:7233), `TEMPORAL_NAMESPACE`,
 * and payload encryption with the worker's keys when `EBB_CODEC_KEYS`/`EBB_CODEC_KEYS_FILE` is set.
 */
export async function connectClient(env: NodeJS.ProcessEnv = process.env): Promise<{ client: Client; close: () => Promise<void> }> {
  const address = env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    throw new CliError(`cannot reach Temporal at ${address} (${(err as Error).message}); start it with scripts/temporal-dev.sh or set TEMPORAL_ADDRESS`, 4);
  }
  // With OTEL_EXPORTER_OTLP_ENDPOINT set, `ebb run` starts the trace the worker continues.
  const spans = spanProcessorFromEnv(env);
  registerTracerProvider(spans);
  return {
    client: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default', dataConverter: dataConverterFromEnv(env), interceptors: tracingClientInterceptors() }),
    close: async () => {
      await spans.forceFlush().catch(() => undefined);
      await connection.close();
    },
  };
}

/** An error the CLI prints as one line and turns into an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Exit codes, documented in `ebb --help`. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  alreadyRunning: 3,
  unreachable: 4,
} as const;
