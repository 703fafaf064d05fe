/**
 * Writing a batch to a Customer Match list: records become hashed members (./members.ts);
 * upserts and inserts add members, deletes remove them; each API's refusals come back per record.
 */
import type { RecordWrite, RowResult, WriteBatch, WriteResult } from '../../types';
import { toMember, type Member } from './members';

/** What a path can do: add or remove members of a list, returning the seqs refused with reasons. */
export interface MembershipApi {
  send(list: string, members: Member[], remove: boolean): Promise<Map<number, string>>;
}

/** Writes one batch through `api`. */
export async function writeBatch(api: MembershipApi, batch: WriteBatch, phoneRegion?: string): Promise<WriteResult> {
  const results = new Map<number, RowResult>();
  const collect = (records: RecordWrite[], removing: boolean): Member[] => {
    const members: Member[] = [];
    for (const r of records) {
      const m = toMember(r, { phoneRegion, removing });
      if ('problem' in m) results.set(r.seq, { seq: r.seq, status: 'rejected', reason: m.problem });
      else members.push(m.member);
    }
    return members;
  };
  // Adds first, then removes: the two never share a request (nor an OfflineUserDataJob).
  for (const removing of [false, true]) {
    const members = collect(batch.records.filter((r) => (r.op === 'delete') === removing), removing);
    if (members.length === 0) continue;
    const refused = await api.send(batch.object, members, removing);
    for (const m of members) {
      const reason = refused.get(m.seq);
      results.set(m.seq, reason ? { seq: m.seq, status: 'rejected', reason } : { seq: m.seq, status: 'ok' });
    }
  }
  return { results: batch.records.map((r) => results.get(r.seq) ?? { seq: r.seq, status: 'retryable', reason: 'no result was recorded for this member' }) };
}
