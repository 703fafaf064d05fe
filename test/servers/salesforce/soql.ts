/**
 * The SOQL ebb sends: `SELECT f1, f2 FROM Type [WHERE Field IN ('a', 'b')] [LIMIT n]`, answered
 * a page at a time like `GET /query`: `{ totalSize, done, nextRecordsUrl?, records }`, the rest
 * through `GET /query/{locator}` (`01g…-2000`). Anything else is MALFORMED_QUERY.
 */
import { randomBytes } from 'node:crypto';
import { sfErrors, type Reply } from './collections';
import type { SObjectType } from './sobjects';

const QUERY = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s+IN\s*\((.*)\))?(?:\s+LIMIT\s+(\d+))?\s*$/is;

interface Cursor {
  type: string;
  rows: Record<string, unknown>[];
}

/** Query results held for paging, as the org keeps query locators. */
export class SoqlEngine {
  private readonly cursors = new Map<string, Cursor>();

  constructor(
    private readonly objects: Map<string, SObjectType>,
    /** Records per page (Salesforce's default batch size is 2,000). */
    private readonly pageSize: number,
  ) {}

  /** `GET /query?q=`. */
  run(q: string, version: string): Reply {
    const m = QUERY.exec(q);
    if (!m) return sfErrors(400, 'MALFORMED_QUERY', `unexpected token in: ${q.slice(0, 80)}`);
    const type = this.objects.get(m[2]);
    if (!type) return sfErrors(400, 'INVALID_TYPE', `sObject type '${m[2]}' is not supported.`);
    const fields = m[1].split(',').map((f) => f.trim());
    for (const f of [...fields, ...(m[3] ? [m[3]] : [])]) {
      if (!type.fields.has(f)) return sfErrors(400, 'INVALID_FIELD', `No such column '${f}' on entity '${type.name}'.`);
    }
    let records = [...type.records.values()];
    if (m[3]) {
      const values = new Set(parseList(m[4]).map((v) => v.toLowerCase()));
      records = records.filter((r) => r[m[3]] !== null && r[m[3]] !== undefined && values.has(String(r[m[3]]).toLowerCase()));
    }
    if (m[5]) records = records.slice(0, Number(m[5]));
    const rows = records.map((r) => ({
      attributes: { type: type.name, url: `/services/data/v${version}/sobjects/${type.name}/${String(r.Id)}` },
      ...Object.fromEntries(fields.map((f) => [f, r[f] ?? null])),
    }));
    const id = `01g${randomBytes(6).toString('hex')}`;
    this.cursors.set(id, { type: type.name, rows });
    return this.page(id, 0, version);
  }

  /** `GET /query/{locator}`. */
  more(locator: string, version: string): Reply {
    const m = /^(01g[0-9a-f]+)-(\d+)$/.exec(locator);
    if (!m || !this.cursors.has(m[1])) return sfErrors(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return this.page(m[1], Number(m[2]), version);
  }

  private page(id: string, offset: number, version: string): Reply {
    const cursor = this.cursors.get(id)!;
    const end = offset + this.pageSize;
    const done = end >= cursor.rows.length;
    if (done) this.cursors.delete(id);
    return {
      status: 200,
      body: {
        totalSize: cursor.rows.length,
        done,
        ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${id}-${end}` }),
        records: cursor.rows.slice(offset, end),
      },
    };
  }
}

/** `'a', 'b\\'c'` → ["a", "b'c"]. */
function parseList(s: string): string[] {
  const out: string[] = [];
  const re = /'((?:\\.|[^'\\])*)'/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1].replace(/\\(.)/g, '$1'));
  return out;
}
