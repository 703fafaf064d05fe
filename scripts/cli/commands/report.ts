import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { syncHealth } from '../../../domain/kpis';
import { ExitCode } from '../client';
import { renderReport, type SyncReport } from '../report/render-report';
import { runSeries } from '../report/run-series';
import { openCliStateStore, toRunRecords } from '../state-store';

/**
 * `ebb report [--sync NAME] [--limit N] [--out FILE]`: writes the sync-health report, one
 * self-contained HTML file with the seed's KPIs and charts over runs, from the state store.
 */
export async function reportCommand(args: { sync?: string; limit: number; out: string; stateUrl?: string }): Promise<number> {
  const store = await openCliStateStore(args.stateUrl);
  try {
    const syncs = args.sync ? [args.sync] : await store.syncNames();
    const reports: SyncReport[] = [];
    for (const sync of syncs) {
      const runs = toRunRecords(await store.recentRuns(sync, args.limit));
      reports.push({ sync, health: syncHealth(runs), series: runSeries(runs) });
    }
    const out = path.resolve(args.out);
    await writeFile(out, renderReport({ generatedAt: new Date().toISOString(), syncs: reports }));
    console.log(`wrote ${out} (${reports.length} sync(s), up to ${args.limit} runs each)`);
    return ExitCode.ok;
  } finally {
    await store.close();
  }
}
