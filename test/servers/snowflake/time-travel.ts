/**
 * Time travel and change tracking for the test Snowflake server, emulated over DuckDB.
 *
 * `ALTER TABLE t SET CHANGE_TRACKING = TRUE` (or `CREATE TABLE … CHANGE_TRACKING = TRUE`) starts
 * versioning `t`: a shadow table in the `ebb_history` schema holds every version of every row,
 * with the server-clock milliseconds it was valid from and to. After each statement (and before
 * each query, so rows written straight into DuckDB by a test are versioned too) the current rows
 * are compared with the open versions: a row whose content changed closes its version and opens
 * a new one. Rows are identified by the table's primary key (Snowflake's METADATA$ROW_ID), or by
 * their content when it has none. A no-op `UPDATE t SET x = x` therefore makes no version here,
 * where Snowflake would record one.
 *
 * Real Snowflake versions every table for DATA_RETENTION_TIME_IN_DAYS. This server keeps history
 * only for tracked tables, so the large bench tables stay cheap: `AT`/`BEFORE` on an untracked
 * table fails as it does in Snowflake past its retention.
 *
 * Queries are rewritten: `t AT(TIMESTAMP => e)`, `AT(STATEMENT => 'id')`, `AT(OFFSET => -s)`,
 * `BEFORE(…)` read the version of `t` at that time (AT includes changes made at that instant);
 * `t CHANGES(INFORMATION => DEFAULT|APPEND_ONLY) AT(…) [END(…)]` returns the net row versions
 * between the two points with METADATA$ACTION, METADATA$ISUPDATE and METADATA$ROW_ID.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/** A failure Snowflake would answer with this code, SQL state and message. */
export class SnowflakeSqlError extends Error {
  constructor(readonly code: string, message: string, readonly sqlState = '02000') {
    super(message);
  }
}

interface Tracked {
  /** The table's name as DuckDB knows it. */
  name: string;
  history: string;
  columns: string[];
  /** Row identity: primary-key columns, or every column. */
  identity: string[];
  since: number;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
/** A table name, optionally qualified: captured. */
const NAME = String.raw`(${IDENT}(?:\s*\.\s*${IDENT}){0,2})`;
const CLAUSE = new RegExp(String.raw`(?<![\w$."])${NAME}\s+(?:CHANGES\s*\(\s*INFORMATION\s*=>\s*(DEFAULT|APPEND_ONLY)\s*\)\s*)?(AT|BEFORE)\s*\(`, 'i');
const NOT_ALIAS = /^(where|join|left|right|inner|full|cross|natural|on|using|group|order|limit|union|except|intersect|having|qualify|window|offset|fetch)$/i;
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The last part of a (possibly qualified, possibly quoted) name, for lookups. */
function baseName(name: string): string {
  const parts = name.match(new RegExp(IDENT, 'g')) ?? [name];
  const last = parts[parts.length - 1];
  return (last.startsWith('"') ? last.slice(1, -1).replaceAll('""', '"') : last).toLowerCase();
}

/** The index just past the parenthesis that closes the one opened before `from`. */
function closing(sql: string, from: number): number {
  let depth = 1;
  for (let i = from; i < sql.length; i++) {
    if (sql[i] === "'") i = sql.indexOf("'", i + 1);
    else if (sql[i] === '(') depth++;
    else if (sql[i] === ')' && --depth === 0) return i + 1;
    if (i < 0) break;
  }
  throw new SnowflakeSqlError('001003', 'SQL compilation error:\nsyntax error: unbalanced parentheses', '42000');
}

/** The server's version clock: epoch milliseconds, strictly increasing per tick. */
export class VersionClock {
  last = 0;
  tick(): number {
    this.last = Math.max(Date.now(), this.last + 1);
    return this.last;
  }
}

/** Versioned tables of one DuckDB instance. */
export class TimeTravel {
  readonly clock = new VersionClock();
  private readonly tracked = new Map<string, Tracked>();
  private readonly statements = new Map<string, number>();
  /** Recording versions is serialized: two statements must not diff the same table at once. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly instance: DuckDBInstance) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.then(fn);
    this.turn = next.catch(() => undefined);
    return next;
  }

  private async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = await this.instance.connect();
    try {
      return await fn(c);
    } finally {
      c.closeSync();
    }
  }

  /**
   * Handles a statement's change-tracking part before it runs. Returns the SQL left to run
   * (undefined when the statement was only `SET CHANGE_TRACKING`) and what to do after it ran.
   */
  async statement(sql: string): Promise<{ run?: string; after(queryId: string): Promise<void> }> {
    const alter = new RegExp(String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?${NAME}\s+SET\s+CHANGE_TRACKING\s*=\s*(TRUE|FALSE)$`, 'i').exec(sql);
    if (alter) {
      const name = alter[1];
      return { after: (id) => this.serial(async () => this.remember(id, alter[2].toUpperCase() === 'TRUE' ? await this.track(name) : await this.untrack(name))) };
    }
    const create = new RegExp(String.raw`^CREATE\s+(OR\s+REPLACE\s+)?(?:TRANSIENT\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}`, 'i').exec(sql);
    const tracking = /\bCHANGE_TRACKING\s*=\s*TRUE\b/i;
    if (create) {
      // A replaced table is a new table: its change tracking is off unless the statement says so.
      const wanted = tracking.test(sql);
      const run = sql.replace(tracking, '');
      return {
        run,
        after: (id) =>
          this.serial(async () => {
            if (create[1]) await this.untrack(create[2]);
            this.remember(id, wanted ? await this.track(create[2]) : this.clock.tick());
          }),
      };
    }
    const drop = new RegExp(String.raw`^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${NAME}`, 'i').exec(sql);
    return {
      run: sql,
      after: (id) =>
        this.serial(async () => {
          if (drop) await this.untrack(drop[1]);
          this.remember(id, await this.record());
        }),
    };
  }

  /** Rewrites a query's time-travel clauses and CURRENT_TIMESTAMP(); returns its SQL and its time. */
  async query(sql: string): Promise<{ sql: string; time: number }> {
    const time = await this.serial(() => this.record());
    let out = sql.replace(/\bMETADATA\$(ACTION|ISUPDATE|ROW_ID)\b/gi, (m) => `"${m.toUpperCase()}"`);
    out = out.replace(/\bCURRENT_TIMESTAMP\b(\s*\(\s*\))?/gi, () => `CAST('${new Date(time).toISOString()}' AS TIMESTAMPTZ)`);
    for (let from = 0; ; ) {
      const m = CLAUSE.exec(out.slice(from));
      if (!m) break;
      const start = from + m.index;
      const table = this.lookup(m[1], m[2] !== undefined);
      const atEnd = closing(out, start + m[0].length);
      const at = await this.point(out.slice(start + m[0].length, atEnd - 1), m[3].toUpperCase() === 'BEFORE', time);
      let end = atEnd;
      let until = time;
      const endClause = /^\s*END\s*\(/i.exec(out.slice(atEnd));
      if (m[2] !== undefined && endClause) {
        end = closing(out, atEnd + endClause[0].length);
        until = (await this.point(out.slice(atEnd + endClause[0].length, end - 1), false, time)).ms;
      }
      if (at.ms < table.since) {
        throw m[2] !== undefined
          ? new SnowflakeSqlError('000707', `Change tracking is not enabled or has been missing for the time range requested on table '${table.name.toUpperCase()}'.`)
          : new SnowflakeSqlError('000707', `Time travel data is not available for table ${table.name.toUpperCase()}. The requested time is either beyond the allowed time travel period or before the object creation time.`);
      }
      const body = m[2] === undefined ? this.versionAt(table, at) : this.changes(table, at, { ms: until, before: false }, m[2].toUpperCase() === 'APPEND_ONLY');
      const next = /^\s+(?:AS\s+)?([A-Za-z_][\w$]*|"[^"]+")/i.exec(out.slice(end));
      const alias = next && !NOT_ALIAS.test(next[1]) ? '' : ` AS ${q(baseName(m[1]))}`;
      const replacement = `(${body})${alias}`;
      out = out.slice(0, start) + replacement + out.slice(end);
      from = start + replacement.length;
    }
    return { sql: out, time };
  }

  /** Remembers when a statement ran, for `AT(STATEMENT => id)`. */
  remember(queryId: string, time: number): void {
    this.statements.set(queryId, time);
  }

  private lookup(name: string, changes: boolean): Tracked {
    const t = this.tracked.get(baseName(name));
    if (t) return t;
    const upper = baseName(name).toUpperCase();
    if (changes) throw new SnowflakeSqlError('000707', `Change tracking is not enabled or has been missing for the time range requested on table '${upper}'.`);
    throw new SnowflakeSqlError('000707', `Time travel data is not available for table ${upper}. The requested time is either beyond the allowed time travel period or before the object creation time.`);
  }

  /** `TIMESTAMP => e`, `STATEMENT => 'id'` or `OFFSET => -s` as a point on the version clock. */
  private async point(arg: string, before: boolean, now: number): Promise<{ ms: number; before: boolean }> {
    const m = /^\s*(TIMESTAMP|STATEMENT|OFFSET)\s*=>\s*([\s\S]+?)\s*$/i.exec(arg);
    if (!m) throw new SnowflakeSqlError('001003', `SQL compilation error:\nsyntax error: invalid time travel clause (${arg.slice(0, 40)})`, '42000');
    const kind = m[1].toUpperCase();
    const expr = m[2];
    if (kind === 'STATEMENT') {
      const id = /^'([^']+)'$/.exec(expr)?.[1] ?? expr;
      const at = this.statements.get(id);
      if (at === undefined) throw new SnowflakeSqlError('000707', `Statement ${id} not found`);
      return { ms: at, before };
    }
    if (kind === 'OFFSET') return { ms: now + Math.round(Number(await this.scalar(`SELECT CAST((${expr}) AS DOUBLE)`)) * 1000), before };
    const ms = /^TO_TIMESTAMP(?:_LTZ|_TZ|_NTZ)?\s*\(\s*(\d+)\s*,\s*3\s*\)$/i.exec(expr);
    if (ms) return { ms: Number(ms[1]), before };
    const sql = expr.replace(/::\s*TIMESTAMP_(LTZ|TZ)\b/gi, '::TIMESTAMPTZ').replace(/::\s*TIMESTAMP_NTZ\b/gi, '::TIMESTAMP').replace(/\bTO_TIMESTAMP_(?:LTZ|TZ)\s*\(\s*('[^']*')\s*\)/gi, 'CAST($1 AS TIMESTAMPTZ)');
    return { ms: Number(await this.scalar(`SELECT epoch_ms(CAST((${sql}) AS TIMESTAMPTZ))`)), before };
  }

  private scalar(sql: string): Promise<unknown> {
    return this.withConnection(async (c) => (await c.runAndReadAll(sql)).getRows()[0]?.[0]).catch((err: Error) => {
      throw new SnowflakeSqlError('001003', `SQL compilation error:\n${err.message.split('\n')[0]}`, '42000');
    });
  }

  /** The versions valid at a point: AT includes what changed at that instant, BEFORE excludes it. */
  private valid(t: Tracked, p: { ms: number; before: boolean }): string {
    return p.before ? `(ebb_from < ${p.ms} AND (ebb_to IS NULL OR ebb_to >= ${p.ms}))` : `(ebb_from <= ${p.ms} AND (ebb_to IS NULL OR ebb_to > ${p.ms}))`;
  }

  private versionAt(t: Tracked, p: { ms: number; before: boolean }): string {
    return `SELECT ${t.columns.map(q).join(', ')} FROM ${t.history} WHERE ${this.valid(t, p)}`;
  }

  /** Net changes: versions present at `b` and not at `a` are inserts, the reverse deletes. */
  private changes(t: Tracked, a: { ms: number; before: boolean }, b: { ms: number; before: boolean }, appendOnly: boolean): string {
    const cols = t.columns.map((c) => `v.${q(c)}`).join(', ');
    const meta = (action: string, isUpdate: string) => `'${action}' AS "METADATA$ACTION", ${isUpdate} AS "METADATA$ISUPDATE", v.ebb_row_id AS "METADATA$ROW_ID"`;
    if (appendOnly) {
      // Rows appended after `a`, as first inserted, whatever happened to them since.
      return `SELECT ${cols}, ${meta('INSERT', 'false')} FROM ${t.history} v
        WHERE v.ebb_from > ${a.ms} AND v.ebb_from <= ${b.ms}
          AND NOT EXISTS (SELECT 1 FROM ${t.history} p WHERE p.ebb_row_id = v.ebb_row_id AND p.ebb_to = v.ebb_from)`;
    }
    const at = (p: { ms: number; before: boolean }) => `(SELECT * FROM ${t.history} WHERE ${this.valid(t, p)})`;
    const side = (from: string, other: string, action: string) =>
      `SELECT ${cols}, ${meta(action, `EXISTS (SELECT 1 FROM ${other} o WHERE o.ebb_row_id = v.ebb_row_id)`)} FROM ${from} v
       WHERE NOT EXISTS (SELECT 1 FROM ${other} o WHERE o.ebb_row_id = v.ebb_row_id AND o.ebb_from = v.ebb_from)`;
    return `${side(at(b), at(a), 'INSERT')} UNION ALL ${side(at(a), at(b), 'DELETE')}`;
  }

  /** Starts versioning a table; returns the time tracking started. */
  private async track(name: string): Promise<number> {
    const key = baseName(name);
    if (this.tracked.has(key)) return this.clock.tick();
    return this.withConnection(async (c) => {
      const cols = (await c.runAndReadAll(`SELECT column_name FROM duckdb_columns() WHERE lower(table_name) = '${key.replaceAll("'", "''")}' ORDER BY column_index`)).getRows().map((r) => String(r[0]));
      if (cols.length === 0) throw new SnowflakeSqlError('002003', `SQL compilation error:\nTable '${key.toUpperCase()}' does not exist or not authorized.`);
      const pk = (await c.runAndReadAll(`SELECT constraint_column_names FROM duckdb_constraints() WHERE lower(table_name) = '${key.replaceAll("'", "''")}' AND constraint_type = 'PRIMARY KEY'`)).getRowsJS()[0]?.[0] as string[] | undefined;
      const since = this.clock.tick();
      const t: Tracked = { name: key, history: `ebb_history.${q(key)}`, columns: cols, identity: pk?.length ? pk : cols, since };
      await c.run(`CREATE SCHEMA IF NOT EXISTS ebb_history`);
      await c.run(`CREATE OR REPLACE TABLE ${t.history} AS SELECT t.*, ${this.rowId(t)} AS ebb_row_id, md5(CAST(t AS VARCHAR)) AS ebb_hash, CAST(${since} AS BIGINT) AS ebb_from, CAST(NULL AS BIGINT) AS ebb_to FROM ${q(key)} t`);
      this.tracked.set(key, t);
      return since;
    });
  }

  private async untrack(name: string): Promise<number> {
    const t = this.tracked.get(baseName(name));
    if (t) {
      this.tracked.delete(t.name);
      await this.withConnection((c) => c.run(`DROP TABLE IF EXISTS ${t.history}`));
    }
    return this.clock.tick();
  }

  private rowId(t: Tracked): string {
    return `md5(CAST(struct_pack(${t.identity.map((c) => `${q(c)} := t.${q(c)}`).join(', ')}) AS VARCHAR))`;
  }

  /** Records a new version of every tracked row whose content changed; returns the time of the tick. */
  private async record(): Promise<number> {
    const now = this.clock.tick();
    if (this.tracked.size === 0) return now;
    await this.withConnection(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        for (const t of this.tracked.values()) {
          const current = `(SELECT ${this.rowId(t)} AS ebb_row_id, md5(CAST(t AS VARCHAR)) AS ebb_hash, t.* FROM ${q(t.name)} t)`;
          await c.run(`CREATE OR REPLACE TEMP TABLE ebb_current AS SELECT * FROM ${current}`);
          await c.run(`UPDATE ${t.history} h SET ebb_to = ${now} WHERE ebb_to IS NULL AND NOT EXISTS (SELECT 1 FROM ebb_current n WHERE n.ebb_row_id = h.ebb_row_id AND n.ebb_hash = h.ebb_hash)`);
          await c.run(
            `INSERT INTO ${t.history} SELECT ${t.columns.map((x) => `n.${q(x)}`).join(', ')}, n.ebb_row_id, n.ebb_hash, ${now}, NULL FROM ebb_current n
             WHERE NOT EXISTS (SELECT 1 FROM ${t.history} h WHERE h.ebb_to IS NULL AND h.ebb_row_id = n.ebb_row_id AND h.ebb_hash = n.ebb_hash)`,
          );
        }
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    return now;
  }
}
