/**
 * The ebb worker process: `npm run worker`. Connects to Temporal, opens the state store and
 * serves the `syncWorkflow` and its activities on the task queue until SIGINT/SIGTERM.
 */
import { NativeConnection } from '@temporalio/worker';
import { createConnectorContext } from '../connectors/context';
import { openStateStore } from '../state/open';
import { workerConfigFromEnv } from './config';
import { createEbbWorker } from './create-worker';

async function main(): Promise<void> {
  const config = workerConfigFromEnv();
  const store = await openStateStore(config.stateUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const worker = await createEbbWorker({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      deps: { store, syncsDir: config.syncsDir, connectorContext: createConnectorContext({ baseDir: config.baseDir }) },
    });
    console.log(`ebb worker: task queue "${config.taskQueue}" on ${config.temporalAddress}, state ${redact(config.stateUrl)}`);
    await worker.run();
  } finally {
    await connection.close();
    await store.close();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
