import { spawnSync } from 'node:child_process';
import type { WorkflowHandleWithFirstExecutionRunId as WorkflowHandle } from '@temporalio/client';

/** A fetched workflow history. */
export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** The run id a history continued as new into, if it did. */
export function continuedAs(history: History): string | undefined {
  const last = history.events?.[history.events.length - 1];
  return last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
}

/** Events and the largest payload in a workflow's history, across its continue-as-new chain. */
export async function historyStats(handle: WorkflowHandle): Promise<{ events: number; segments: number; maxSegmentEvents: number; largestPayloadBytes: number }> {
  let runId: string | undefined = handle.firstExecutionRunId;
  let events = 0;
  let segments = 0;
  let maxSegmentEvents = 0;
  let largest = 0;
  const client = handle.client;
  while (runId) {
    const h: History = await client.getHandle(handle.workflowId, runId).fetchHistory();
    const list = h.events ?? [];
    events += list.length;
    maxSegmentEvents = Math.max(maxSegmentEvents, list.length);
    segments++;
    largest = Math.max(largest, largestPayload(h));
    runId = continuedAs(h);
  }
  return { events, segments, maxSegmentEvents, largestPayloadBytes: largest };
}

/** Walks a history object and returns the size of the largest payload's data. */
export function largestPayload(node: unknown): number {
  let max = 0;
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata) max = Math.max(max, o.data.byteLength);
    for (const x of Object.values(o)) walk(x);
  };
  walk(node);
  return max;
}

/** Every payload of a history decoded as UTF-8 text (JSON payloads are plain JSON bytes). */
export function payloadTexts(node: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata) out.push(Buffer.from(o.data).toString('utf8'));
    for (const x of Object.values(o)) walk(x);
  };
  walk(node);
  return out;
}

/**
 * A history exported the way an operator exports it: `temporal workflow show --output json`
 * with the official CLI (the same JSON the Web UI downloads).
 */
export function exportHistoryJson(address: string, workflowId: string, runId: string): string {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set: run the tests with `npm test`');
  const r = spawnSync(cli, ['workflow', 'show', '--address', address, '--workflow-id', workflowId, '--run-id', runId, '--output', 'json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`temporal workflow show failed: ${r.stderr}`);
  return r.stdout;
}

/** Wall-clock seconds spent in each activity type (first scheduled to last completed), from a history. */
export function stepSeconds(history: History): Record<string, number> {
  const events = history.events ?? [];
  const typeOf = new Map<string, string>();
  const span = new Map<string, { from: number; to: number }>();
  const ms = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '?';
      typeOf.set(String(e.eventId), type);
      const s = span.get(type);
      span.set(type, { from: Math.min(s?.from ?? Infinity, ms(e)), to: s?.to ?? 0 });
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const type = typeOf.get(String(done.scheduledEventId)) ?? '?';
      const s = span.get(type);
      if (s) s.to = Math.max(s.to, ms(e));
    }
  }
  return Object.fromEntries([...span].map(([k, v]) => [k, Math.round(v.to - v.from) / 1000]));
}
