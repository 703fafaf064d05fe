/**
 * OpenTelemetry traces across client, workflow and activities, through Temporal's own
 * interceptors (@temporalio/interceptors-opentelemetry): one trace from `ebb run` (or any
 * client with the interceptor) through the workflow to each activity attempt.
 *
 * The workflow bundle always carries the workflow interceptors, so one bundle serves workers
 * with and without tracing; without an exporter configured, spans go to a no-op processor.
 * Spans carry workflow and activity types and ids (sync names), never row values.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

/** Workflow interceptor modules every ebb workflow bundle includes. */
export const WORKFLOW_INTERCEPTOR_MODULES: string[] = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

/** The service name spans carry. */
export const SERVICE_NAME = 'ebb';

/**
 * The span processor from the environment: OTLP over HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the standard OpenTelemetry variables;
 * a no-op otherwise.
 */
export function spanProcessorFromEnv(env: NodeJS.ProcessEnv = process.env): SpanProcessor {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return new NoopSpanProcessor();
  return new BatchSpanProcessor(new OTLPTraceExporter());
}

/**
 * The process-wide OpenTelemetry setup clients and activities use: W3C trace-context
 * propagation (what carries a trace into workflow and activity headers) and an async-local
 * context, so the span a client starts is the one its headers name. Idempotent.
 */
export function installTracingContext(): void {
  if (contextInstalled) return;
  contextInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}
let contextInstalled = false;

/**
 * Registers a global tracer provider over `processor` (activities and clients use the global
 * tracer) and returns the worker options that trace workflows and activities.
 */
export function tracingWorkerOptions(processor: SpanProcessor): Pick<WorkerOptions, 'sinks' | 'interceptors'> {
  const resource = registerTracerProvider(processor);
  return {
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
    interceptors: {
      workflowModules: WORKFLOW_INTERCEPTOR_MODULES,
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
  };
}

/** Makes `processor` the global tracer provider's (clients, activities); returns the resource spans carry. */
export function registerTracerProvider(processor: SpanProcessor): Resource {
  const resource = new Resource({ 'service.name': SERVICE_NAME });
  installTracingContext();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ resource, spanProcessors: [processor] }));
  return resource;
}

/** Client interceptors that start the trace and carry it into the workflow's headers. */
export function tracingClientInterceptors(): { workflow: OpenTelemetryWorkflowClientInterceptor[] } {
  installTracingContext();
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}
