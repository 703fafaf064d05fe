import type { SyncMode } from './spec/schema';
import type { WriteOp } from '../connectors/types';

/**
 * Sync modes as data: which kinds of change a mode sends, and as which write operation.
 * `undefined` means the change is not sent (and so the snapshot does not move for it).
 */
export interface ModeOps {
  add?: WriteOp;
  change?: WriteOp;
  remove?: WriteOp;
}

export const MODE_OPS: Record<SyncMode, ModeOps> = {
  upsert: { add: 'upsert', change: 'upsert' },
  update: { add: 'update', change: 'update' },
  insert: { add: 'insert' },
  mirror: { add: 'upsert', change: 'upsert', remove: 'delete' },
};
