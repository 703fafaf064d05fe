import { Context } from '@temporalio/activity';
import { addComparison, compareRecord, NO_READ_BACK, type ReadBackResult } from '../domain/read-back';
import { configError } from '../domain/errors';
import { identityFieldOf, type DestinationSpec } from '../domain/spec/schema';
import { openDestination, using } from '../runner/connect';
import { SafetyStore } from '../state/safety-store';
import { asStep } from './failure';
import type { ActivityDeps } from './deps';

/** Input of {@link makeVerifyCanary}: which run's canary, which destination, how many to read back. */
export interface VerifyCanaryInput {
  sync: string;
  runId: string;
  primaryKey: string | string[];
  destination: DestinationSpec;
  /** The canary's chunks: `[0, chunks)`. */
  chunks: number;
  sample: number;
}

/**
 * Read-back verification of a canary: reads a sample of the records the canary wrote back from
 * the destination and compares them, field by field, with what was sent. Returns counts and
 * field names only (the values stay in the state store and the destination).
 */
export function makeVerifyCanary(deps: ActivityDeps) {
  return async function verifyCanary(input: VerifyCanaryInput): Promise<ReadBackResult> {
    const dest = input.destination;
    return asStep({ sync: input.sync, step: 'verify canary', destination: dest.name }, async () => {
      const idField = identityFieldOf(input.primaryKey, dest) as string;
      const sample = await new SafetyStore(deps.store.driver).canarySample(input.runId, dest.name, input.chunks, input.sample);
      if (sample.length === 0) return NO_READ_BACK;
      return using(openDestination(dest, deps.connectorContext), async (d) => {
        if (!d.readBack) {
          throw configError(`destination ${dest.name} (${dest.kind}) cannot read records back; remove canary.readBack or use a destination that reads back`, {
            destination: dest.name,
            path: 'canary.readBack',
          });
        }
        const ids = sample.map((s) => String(s.fields[idField]));
        const fields = [...new Set(sample.flatMap((s) => Object.keys(s.fields)))].filter((f) => f !== idField);
        const held = await d.readBack({ object: dest.object, idField, ids, fields });
        Context.current().heartbeat({ read: held.size });
        let total = NO_READ_BACK;
        for (const s of sample) {
          const got = held.get(String(s.fields[idField]));
          const sent = Object.fromEntries(Object.entries(s.fields).filter(([f]) => f !== idField));
          total = addComparison(total, got ? compareRecord(sent, got) : 'missing', Object.keys(sent).length);
        }
        return total;
      });
    });
  };
}
