import { Context } from '@temporalio/activity';
import type { Alert } from '../domain/alerts';
import { authError, configError, transientError } from '../domain/errors';
import type { SecretRef } from '../domain/spec/secret-ref';
import { asStep } from './failure';
import type { ActivityDeps } from './deps';

/** Input of {@link makeSendAlerts}: names, counts and the webhook reference; never row data. */
export interface SendAlertsInput {
  sync: string;
  runId: string;
  workflowId: string;
  webhook: string | SecretRef;
  alerts: Alert[];
}

/**
 * Posts alerts to a Slack-compatible incoming webhook (`text` plus `blocks`), one message per
 * run listing every alert, with a link to the run in the Temporal UI.
 */
export function makeSendAlerts(deps: ActivityDeps) {
  return async function sendAlerts(input: SendAlertsInput): Promise<number> {
    return asStep({ sync: input.sync, step: 'alert' }, async () => {
      const url = typeof input.webhook === 'string' ? input.webhook : await deps.connectorContext.resolveSecret(input.webhook, 'alerts.webhook');
      const link = `${process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233'}/namespaces/${Context.current().info.workflowNamespace}/workflows/${encodeURIComponent(input.workflowId)}`;
      const lines = input.alerts.map((a) => `• *${a.kind}*: ${a.message}`);
      const text = `ebb sync *${input.sync}* (run ${input.runId}):\n${lines.join('\n')}`;
      const body = {
        text,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text } },
          { type: 'context', elements: [{ type: 'mrkdwn', text: `<${link}|open the run in Temporal>` }] },
        ],
      };
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) }).catch(
        (err: Error) => {
          throw transientError(`alert webhook unreachable (${err.message})`, { path: 'alerts.webhook' });
        },
      );
      if (res.status === 401 || res.status === 403) throw authError(`alert webhook refused the request (${res.status})`, { path: 'alerts.webhook' });
      if (res.status === 404) throw configError('alert webhook not found (404): check alerts.webhook', { path: 'alerts.webhook' });
      if (!res.ok) throw transientError(`alert webhook answered ${res.status}`, { path: 'alerts.webhook' });
      return input.alerts.length;
    });
  };
}
