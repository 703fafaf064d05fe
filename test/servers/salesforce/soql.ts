/**
 * The SOQL ebb sends: `SELECT f1, f2 FROM Type [WHERE Field IN ('a', 'b')] [LIMIT n]`. Anything
 * else is refused with Salesforce's MALFORMED_QUERY.
 */
import type { SObjectType } from './sobjects';

const QUERY = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s+IN\s*\((.*)\))?(?:\s+LIMIT\s+(\d+))?\s*$/is;

/** Runs a query; answers like `GET /query`. */
export function runSoql(objects: Map<string, SObjectType>, q: string): { status: number; body: unknown } {
  const m = QUERY.exec(q);
  const malformed = (message: string) => ({ status: 400, body: [{ message, errorCode: 'MALFORMED_QUERY' }] });
  if (!m) return malformed(`unexpected token in: ${q.slice(0, 80)}`);
  const type = objects.get(m[2]);
  if (!type) return { status: 400, body: [{ message: `sObject type '${m[2]}' is not supported.`, errorCode: 'INVALID_TYPE' }] };
  const fields = m[1].split(',').map((f) => f.trim());
  for (const f of [...fields, ...(m[3] ? [m[3]] : [])]) {
    if (!type.fields.has(f)) return { status: 400, body: [{ message: `No such column '${f}' on entity '${type.name}'.`, errorCode: 'INVALID_FIELD' }] };
  }
  let records = [...type.records.values()];
  if (m[3]) {
    const values = new Set(parseList(m[4]).map((v) => v.toLowerCase()));
    records = records.filter((r) => r[m[3]] !== null && r[m[3]] !== undefined && values.has(String(r[m[3]]).toLowerCase()));
  }
  if (m[5]) records = records.slice(0, Number(m[5]));
  return {
    status: 200,
    body: {
      totalSize: records.length,
      done: true,
      records: records.map((r) => ({ attributes: { type: type.name, url: `/services/data/v62.0/sobjects/${type.name}/${String(r.Id)}` }, ...Object.fromEntries(fields.map((f) => [f, r[f] ?? null])) })),
    },
  };
}

/** `'a', 'b\\'c'` → ["a", "b'c"]. */
function parseList(s: string): string[] {
  const out: string[] = [];
  const re = /'((?:\\.|[^'\\])*)'/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1].replace(/\\(.)/g, '$1'));
  return out;
}
