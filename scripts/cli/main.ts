/**
 * `ebb`: the command line. `ebb --help` lists the commands; every command takes `--json`.
 * Exit codes: 0 ok, 1 failed (invalid spec, failed run, rows left pending), 2 usage,
 * 3 the sync is already running, 4 Temporal unreachable.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isEbbError } from '../../domain/errors';
import { CliError, connectClient, ExitCode } from './client';
import { approveCommand } from './commands/approve';
import { healthCommand } from './commands/health';
import { planCommand } from './commands/plan';
import { reportCommand } from './commands/report';
import { rollbackCommand } from './commands/rollback';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { scheduleCommand } from './commands/schedule';
import { schemaCommand } from './commands/schema';
import { suggestMappingCommand } from './commands/suggest-mapping';
import { validateCommand } from './commands/validate';

const HELP = `ebb: reverse ETL on Temporal

Usage:
  ebb validate [FILE…]              validate sync specs (default: every spec in the syncs folder)
  ebb run SYNC [--full-resync] [--no-wait]
                                    start a sync through Temporal and show its progress
  ebb plan SYNC [--sample N]        a dry run: what would move, with sample payloads; writes nothing
  ebb approve|reject SYNC [--reason TEXT]
                                    answer a run that a gate paused for approval (e.g. too many deletes)
  ebb approve-canary|reject-canary SYNC [--reason TEXT]
                                    promote or reject a canary waiting for a decision (reject rolls it back)
  ebb rollback SYNC RUN [--destination NAME] [--force] [--reason TEXT]
                                    undo a past run from its before-images (refuses if later runs
                                    changed the same records, unless --force)
  ebb runs [--sync SYNC] [--limit N] recent runs and their outcomes
  ebb suggest-mapping SYNC [--destination NAME]
                                    propose a mapping from the model's columns to the destination's
                                    fields (describe()), with a confidence each; reads no rows
  ebb schedule create SYNC (--cron EXPR | --every 15m)… [--tz ZONE] [--jitter 1m]
                         [--overlap skip] [--catchup-window 10m] [--paused] [--note TEXT]
  ebb schedule update SYNC (--cron EXPR | --every DUR)… [--tz …] [--jitter …]
  ebb schedule pause|unpause SYNC [--note TEXT]
  ebb schedule trigger SYNC         run now (the overlap policy applies: skip while running)
  ebb schedule backfill SYNC --from TIME --to TIME
  ebb schedule delete SYNC
  ebb schedule list                 Temporal Schedules of syncs
  ebb health [--sync SYNC] [--limit N]
                                    the seed's KPIs per sync over its recent runs (state store: $EBB_STATE_URL)
  ebb report [--sync SYNC] [--limit N] [--out FILE]
                                    write the sync-health report (HTML, charts over runs; default ebb-report.html)
  ebb schema [--out FILE]           print the JSON Schema of sync specs

Options:
  --syncs DIR   folder of sync specs (default: $EBB_SYNCS_DIR or ./syncs)
  --json        machine-readable output
  -h, --help    this help

Environment: TEMPORAL_ADDRESS (localhost:7233), TEMPORAL_NAMESPACE (default), EBB_TASK_QUEUE (ebb).
Exit codes: 0 ok · 1 failed · 2 usage · 3 already running · 4 Temporal unreachable`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        json: { type: 'boolean' },
        syncs: { type: 'string' },
        sync: { type: 'string' },
        limit: { type: 'string' },
        out: { type: 'string' },
        'full-resync': { type: 'boolean' },
        'no-wait': { type: 'boolean' },
        cron: { type: 'string', multiple: true },
        every: { type: 'string', multiple: true },
        tz: { type: 'string' },
        jitter: { type: 'string' },
        overlap: { type: 'string' },
        'catchup-window': { type: 'string' },
        note: { type: 'string' },
        paused: { type: 'boolean' },
        from: { type: 'string' },
        sample: { type: 'string' },
        reason: { type: 'string' },
        to: { type: 'string' },
        destination: { type: 'string' },
        force: { type: 'boolean' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return ExitCode.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? ExitCode.ok : ExitCode.usage;
  }
  const syncsDir = path.resolve(values.syncs ?? process.env.EBB_SYNCS_DIR ?? 'syncs');
  const json = values.json ?? false;
  switch (command) {
    case 'validate':
      return validateCommand({ files: rest, syncsDir, json });
    case 'schema':
      return schemaCommand({ out: values.out });
    case 'suggest-mapping':
      if (rest.length !== 1) {
        console.error(`ebb suggest-mapping takes one sync name\n\n${HELP}`);
        return ExitCode.usage;
      }
      return suggestMappingCommand({ sync: rest[0], syncsDir, destination: values.destination, json });
    case 'report':
      return reportCommand({ sync: values.sync, limit: Number(values.limit ?? 100), out: values.out ?? 'ebb-report.html' });
    case 'health':
      return healthCommand({ sync: values.sync, limit: Number(values.limit ?? 100), json });
    case 'schedule': {
      const [action, sync] = rest;
      if (!action) {
        console.error(`ebb schedule takes an action\n\n${HELP}`);
        return ExitCode.usage;
      }
      const { client, close } = await connectClient();
      try {
        return await scheduleCommand(client, {
          action,
          sync,
          syncsDir,
          json,
          cron: values.cron,
          every: values.every,
          tz: values.tz,
          jitter: values.jitter,
          overlap: values.overlap,
          catchupWindow: values['catchup-window'],
          note: values.note,
          paused: values.paused,
          from: values.from,
          to: values.to,
        });
      } finally {
        await close();
      }
    }
    case 'rollback': {
      if (rest.length !== 2) {
        console.error(`ebb rollback takes a sync name and a run id\n\n${HELP}`);
        return ExitCode.usage;
      }
      const { client, close } = await connectClient();
      try {
        return await rollbackCommand(client, { sync: rest[0], runId: rest[1], syncsDir, destination: values.destination, force: values.force ?? false, reason: values.reason, json });
      } finally {
        await close();
      }
    }
    case 'approve-canary':
    case 'reject-canary':
    case 'approve':
    case 'reject': {
      if (rest.length !== 1) {
        console.error(`ebb ${command} takes one sync name\n\n${HELP}`);
        return ExitCode.usage;
      }
      const { client, close } = await connectClient();
      try {
        return await approveCommand(client, { sync: rest[0], approve: command.startsWith('approve'), canary: command.endsWith('-canary'), reason: values.reason, json });
      } finally {
        await close();
      }
    }
    case 'plan': {
      if (rest.length !== 1) {
        console.error(`ebb plan takes one sync name\n\n${HELP}`);
        return ExitCode.usage;
      }
      const { client, close } = await connectClient();
      try {
        return await planCommand(client, { sync: rest[0], syncsDir, sample: Number(values.sample ?? 5), json, fullResync: values['full-resync'] ?? false });
      } finally {
        await close();
      }
    }
    case 'run':
    case 'runs': {
      if (command === 'run' && rest.length !== 1) {
        console.error(`ebb run takes one sync name\n\n${HELP}`);
        return ExitCode.usage;
      }
      const { client, close } = await connectClient();
      try {
        return command === 'run'
          ? await runCommand(client, { sync: rest[0], syncsDir, fullResync: values['full-resync'] ?? false, wait: !values['no-wait'], json })
          : await runsCommand(client, { sync: values.sync, limit: Number(values.limit ?? 20), json });
      } finally {
        await close();
      }
    }
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return ExitCode.usage;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof CliError) {
      console.error(`ebb: ${err.message}`);
      process.exit(err.exitCode);
    }
    console.error(`ebb: ${isEbbError(err) ? err.message : err instanceof Error ? err.stack : String(err)}`);
    process.exit(ExitCode.failed);
  },
);
