import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { EBB_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

/** The Temporal CLI the test scripts provisioned (scripts/lib/temporal.sh). */
export function temporalCliPath(): string {
  const p = process.env.TEMPORAL_CLI_PATH;
  if (!p) throw new Error('TEMPORAL_CLI_PATH is not set: run the tests with `npm test`, which provisions the Temporal CLI');
  return p;
}

/** A real Temporal dev server (the official CLI's), with ebb's search attributes registered. */
export function startTemporal(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      searchAttributes: EBB_SEARCH_ATTRIBUTES,
      extraArgs: ['--log-level', 'error'],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test process (bundling takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never,
  });
  return bundle;
}
