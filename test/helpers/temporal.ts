import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { tracingClientInterceptors, WORKFLOW_INTERCEPTOR_MODULES } from '../../worker/tracing';
import { EBB_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

/**
 * A real Temporal dev server (the official CLI's), with ebb's search attributes registered.
 * Uses the CLI that scripts/lib/temporal.sh provisioned (TEMPORAL_CLI_PATH); without one, on a
 * machine with internet, the SDK downloads the CLI itself.
 */
export function startTemporal(o: { dataConverter?: DataConverter; extraArgs?: string[] } = {}): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_CLI_PATH;
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: path ? { type: 'existing-path', path } : { type: 'cached-download' },
      ip: '127.0.0.1',
      searchAttributes: EBB_SEARCH_ATTRIBUTES,
      extraArgs: ['--log-level', 'error', ...(o.extraArgs ?? [])],
    },
    client: { interceptors: tracingClientInterceptors(), ...(o.dataConverter ? { dataConverter: o.dataConverter } : {}) },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test process (bundling takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never,
  });
  return bundle;
}
