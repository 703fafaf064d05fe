import { checkDestinationFit } from '../domain/destination-fit';
import { configError, isEbbError } from '../domain/errors';
import { identityFieldOf, type SyncSpec } from '../domain/spec/schema';
import type { ConnectorContext } from '../connectors/types';
import { openDestination, using } from './connect';

/**
 * Before anything is read or written: describes each destination's object and checks the
 * mapping fits it ({@link checkDestinationFit}). Every problem of every destination is
 * reported at once, in one non-retryable config error naming the paths to fix. Connection
 * failures surface as the connector's own errors (auth, transient), so they keep their kind.
 */
export async function checkDestinations(spec: SyncSpec, ctx: ConnectorContext): Promise<void> {
  const problems: { destination: string; path: string; message: string }[] = [];
  for (const [i, dest] of spec.destinations.entries()) {
    const idField = identityFieldOf(spec.primaryKey, dest);
    if (!idField) continue; // spec validation already refused this
    const desc = await using(openDestination(dest, ctx), (d) => d.describe(dest.object)).catch((err: unknown) => {
      throw isEbbError(err) ? err.withContext({ destination: dest.name }) : err;
    });
    for (const issue of checkDestinationFit(dest, idField, desc)) {
      problems.push({ destination: dest.name, path: `destinations[${i}].${issue.path}`, message: issue.message });
    }
  }
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  - ${p.path} (${p.destination}): ${p.message}`);
  throw configError(`the mapping does not fit the destination, nothing was written:\n${lines.join('\n')}`, {
    destination: problems[0].destination,
    path: problems[0].path,
  });
}
