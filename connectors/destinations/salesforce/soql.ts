/**
 * Looking records up by external id with SOQL: `SELECT … FROM object WHERE idField IN (…)`.
 * The IN list is cut so each request's URL stays under Salesforce's 16,384-byte URI limit, and
 * every page of the answer is fetched through its `nextRecordsUrl`, one API call each.
 */
import type { SalesforceApi } from './client';

/** Room for the query in a GET URL, below Salesforce's 16,384-byte URI limit. */
const MAX_QUERY_URL = 15_000;
/** At most this many values per IN list, whatever their length. */
const MAX_IN_VALUES = 1_000;

interface QueryPage {
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
}

/**
 * The records of `object` whose `field` is one of `values`, with `fields` selected (plus `Id`
 * and `field`), keyed by the lowercased `field` value: Salesforce matches text external ids
 * case-insensitively, so callers look up lowercased too.
 */
export async function selectByExternalId(
  api: SalesforceApi,
  object: string,
  field: string,
  values: readonly string[],
  fields: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  const select = [...new Set(['Id', field, ...fields])].join(', ');
  const head = `SELECT ${select} FROM ${object} WHERE ${field} IN (`;
  for (const list of inLists(head, [...new Set(values)])) {
    const soql = `${head}${list.join(', ')})`;
    let page = await api.call(object, async (c) => (await c.query<Record<string, unknown>>(soql)) as unknown as QueryPage);
    for (;;) {
      for (const r of page.records) out.set(String(r[field]).toLowerCase(), r);
      if (page.done || !page.nextRecordsUrl) break;
      const next = page.nextRecordsUrl;
      page = await api.call(object, async (c) => (await c.queryMore<Record<string, unknown>>(next)) as unknown as QueryPage);
    }
  }
  return out;
}

/** Record Ids by lowercased external id. */
export async function idsByExternalId(api: SalesforceApi, object: string, field: string, values: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [ext, rec] of await selectByExternalId(api, object, field, values, [])) out.set(ext, String(rec.Id));
  return out;
}

/** Splits the values into IN lists whose encoded query fits a GET URL. */
function* inLists(head: string, values: readonly string[]): Generator<string[]> {
  let list: string[] = [];
  let size = encodeURIComponent(head).length + 3;
  for (const v of values) {
    const literal = soqlString(v);
    const cost = encodeURIComponent(literal).length + 6;
    if (list.length && (size + cost > MAX_QUERY_URL || list.length >= MAX_IN_VALUES)) {
      yield list;
      list = [];
      size = encodeURIComponent(head).length + 3;
    }
    list.push(literal);
    size += cost;
  }
  if (list.length) yield list;
}

/** A SOQL string literal. */
function soqlString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
