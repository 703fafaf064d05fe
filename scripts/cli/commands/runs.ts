import type { Client } from '@temporalio/client';
import { EbbRowsChanged } from '../../../workflows/search-attributes';
import { ExitCode } from '../client';
import { uiLink } from '../format';

/**
 * `ebb runs [--sync NAME]`: recent runs and their outcomes, straight from Temporal's
 * visibility store (the same list the UI shows), newest first.
 */
export async function runsCommand(client: Client, args: { sync?: string; limit: number; json: boolean }): Promise<number> {
  const query = `WorkflowType = 'syncWorkflow'${args.sync ? ` AND EbbSync = '${args.sync.replace(/'/g, '')}'` : ''}`;
  const rows: Array<Record<string, unknown>> = [];
  for await (const wf of client.workflow.list({ query, pageSize: args.limit })) {
    rows.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      status: wf.status.name,
      started: wf.startTime.toISOString(),
      closed: wf.closeTime?.toISOString(),
      rowsChanged: wf.typedSearchAttributes.get(EbbRowsChanged),
      link: uiLink(wf.workflowId, wf.runId),
    });
    if (rows.length >= args.limit) break;
  }
  if (args.json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log('no runs yet');
  else for (const r of rows) console.log(`${r.started}  ${String(r.status).padEnd(11)} ${String(r.workflowId).padEnd(32)} rows changed ${r.rowsChanged ?? '-'}  ${r.link}`);
  return ExitCode.ok;
}
