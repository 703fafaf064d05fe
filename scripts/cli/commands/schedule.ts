import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { findSpec } from '../../../connectors/spec-files';
import { EbbSync } from '../../../workflows/search-attributes';
import { DEFAULT_TASK_QUEUE, syncWorkflowId } from '../../../workflows/types';
import { CliError, ExitCode } from '../client';
import { overlapPolicy, scheduleSpecFrom, type ScheduleFlags } from '../schedule-options';

/** Arguments of `ebb schedule`. */
export interface ScheduleArgs extends ScheduleFlags {
  action: string;
  sync?: string;
  syncsDir: string;
  json: boolean;
  note?: string;
  paused?: boolean;
  from?: string;
  to?: string;
  taskQueue?: string;
}

/** A sync's schedule id: one schedule per sync. */
export function scheduleId(sync: string): string {
  return `sync/${sync}`;
}

/**
 * `ebb schedule create|update|pause|unpause|trigger|backfill|delete|list`: Temporal Schedules
 * that start `syncWorkflow` by sync name (the worker resolves it in its syncs folder), with
 * overlap SKIP by default so a sync never runs twice at once.
 */
export async function scheduleCommand(client: Client, a: ScheduleArgs): Promise<number> {
  if (a.action === 'list') return list(client, a.json);
  if (!a.sync) throw new CliError(`ebb schedule ${a.action} takes a sync name`, ExitCode.usage);
  const id = scheduleId(a.sync);
  const handle = client.schedule.getHandle(id);
  try {
    switch (a.action) {
      case 'create': {
        await findSpec(a.syncsDir, a.sync); // refuse to schedule a sync that does not exist or is invalid
        const { spec, policies } = scheduleSpecFrom(a);
        await client.schedule.create({
          scheduleId: id,
          spec,
          policies,
          action: {
            type: 'startWorkflow',
            workflowType: 'syncWorkflow',
            workflowId: syncWorkflowId(a.sync),
            taskQueue: a.taskQueue ?? process.env.EBB_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
            args: [{ spec: a.sync }],
            typedSearchAttributes: [{ key: EbbSync, value: a.sync }],
            staticSummary: `ebb sync ${a.sync} (scheduled)`,
          },
          state: { paused: a.paused ?? false, note: a.note },
        });
        return done(a, `created schedule ${id}`, await handle.describe());
      }
      case 'update': {
        const { spec, policies } = scheduleSpecFrom(a);
        await handle.update((prev) => ({ ...prev, spec, policies: { ...prev.policies, ...policies } }));
        return done(a, `updated schedule ${id}`, await handle.describe());
      }
      case 'pause':
        await handle.pause(a.note);
        return done(a, `paused schedule ${id}`, await handle.describe());
      case 'unpause':
        await handle.unpause(a.note);
        return done(a, `unpaused schedule ${id}`, await handle.describe());
      case 'trigger':
        // The schedule's overlap policy applies: with SKIP, nothing starts while a run is in flight.
        await handle.trigger(overlapPolicy(a.overlap));
        return done(a, `triggered schedule ${id}`, await handle.describe());
      case 'backfill': {
        if (!a.from || !a.to) throw new CliError('ebb schedule backfill takes --from and --to (ISO-8601 times)', ExitCode.usage);
        const start = isoTime(a.from, '--from');
        const end = isoTime(a.to, '--to');
        // Backfilled runs queue one after another by default, never in parallel.
        await handle.backfill([{ start, end, overlap: overlapPolicy(a.overlap ?? 'buffer-all') }]);
        return done(a, `backfilling schedule ${id} from ${start.toISOString()} to ${end.toISOString()}`, await handle.describe());
      }
      case 'delete':
        await handle.delete();
        if (a.json) console.log(JSON.stringify({ scheduleId: id, deleted: true }));
        else console.log(`deleted schedule ${id}`);
        return ExitCode.ok;
      default:
        throw new CliError(`unknown schedule action "${a.action}"; use create, update, pause, unpause, trigger, backfill, delete or list`, ExitCode.usage);
    }
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new CliError(`no schedule for sync ${a.sync} (${id}); create it with ebb schedule create`, ExitCode.failed);
    throw err;
  }
}

async function list(client: Client, json: boolean): Promise<number> {
  const rows = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith('sync/')) continue;
    rows.push({
      scheduleId: s.scheduleId,
      sync: s.scheduleId.slice('sync/'.length),
      paused: s.state.paused,
      note: s.state.note,
      nextRuns: (s.info.nextActionTimes ?? []).slice(0, 3).map((t) => t.toISOString()),
      recentRuns: (s.info.recentActions ?? []).slice(-3).map((r) => r.scheduledAt.toISOString()),
    });
  }
  if (json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log('no schedules');
  else for (const r of rows) console.log(`${r.sync.padEnd(28)} ${r.paused ? 'paused ' : 'active '} next ${r.nextRuns[0] ?? '-'}${r.note ? `  (${r.note})` : ''}`);
  return ExitCode.ok;
}

function done(a: ScheduleArgs, message: string, d: ScheduleDescription): number {
  const summary = {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note,
    calendars: d.spec.calendars ?? [],
    intervals: (d.spec.intervals ?? []).map((i) => i.every),
    timezone: d.spec.timezone,
    overlap: d.policies.overlap,
    nextRuns: (d.info.nextActionTimes ?? []).slice(0, 3).map((t) => t.toISOString()),
  };
  if (a.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(`${message}; next run ${summary.nextRuns[0] ?? '(none: paused or no times)'}`);
  return ExitCode.ok;
}

function isoTime(value: string, flag: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new CliError(`${flag} "${value}": not an ISO-8601 time`, ExitCode.usage);
  return d;
}
