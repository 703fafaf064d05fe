/**
 * The request budget shared by every worker, kept in the PostgreSQL state store. Each vendor
 * account has a sliding log of its recent calls (a rolling window, as HubSpot and most APIs
 * count them: a fixed window would let two bursts meet at its edge), a `blocked_until` set by a
 * 429's Retry-After, and a rate factor that halves on each 429 and recovers by a tenth of the
 * limit per quiet window. Time is the database's clock, so workers on skewed hosts agree.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimit, RequestBudget } from '../connectors/types';
import type { SqlDriver } from './sql-driver';

/** Extra slack on the window for the time a call takes to reach the vendor (its clock counts arrivals). */
const ARRIVAL_MARGIN_MS = 150;
/** The rate never drops below this share of the limit. */
const MIN_FACTOR = 0.1;
/** Longest single sleep, so a wait re-checks the shared state now and then. */
const MAX_SLEEP_MS = 5_000;

/** Tables of the shared budget (PostgreSQL). */
export const budgetDdl = [
  `CREATE TABLE IF NOT EXISTS ebb_budget_accounts (
    account VARCHAR PRIMARY KEY, blocked_until_ms BIGINT NOT NULL, rate_factor DOUBLE PRECISION NOT NULL, penalized_at_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ebb_budget_calls (account VARCHAR NOT NULL, at_ms BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS ebb_budget_calls_account ON ebb_budget_calls (account, at_ms)`,
];

/** The effective rate factor `now`: the factor set at the last 429, plus a tenth per quiet window since. */
export function recoveredFactor(factor: number, penalizedAtMs: number, nowMs: number, perMs: number): number {
  if (penalizedAtMs <= 0) return 1;
  return Math.min(1, factor + 0.1 * Math.floor(Math.max(0, nowMs - penalizedAtMs) / perMs));
}

/** A {@link RequestBudget} over the PostgreSQL state store, shared across workers. */
export class SharedRequestBudget implements RequestBudget {
  private ready: Promise<void> | undefined;

  constructor(private readonly driver: SqlDriver) {
    if (driver.dialect !== 'postgres') throw new Error('the shared request budget needs the PostgreSQL state store');
  }

  async take(account: string, limit: RateLimit, cost = 1): Promise<number> {
    await this.migrate();
    let waited = 0;
    for (;;) {
      const wait = await this.driver.transaction((tx) => this.tryTake(tx, account, limit, cost));
      if (wait <= 0) return waited;
      const ms = Math.min(wait, MAX_SLEEP_MS);
      await sleep(ms);
      waited += ms;
    }
  }

  async penalize(account: string, retryAfterMs: number): Promise<void> {
    await this.migrate();
    await this.driver.transaction(async (tx) => {
      const a = await this.lockAccount(tx, account);
      // The window is unknown here; a 429 means "too fast now", so halve what is in force now.
      const factor = Math.max(MIN_FACTOR, a.factor / 2);
      await tx.exec(
        `UPDATE ebb_budget_accounts SET blocked_until_ms = greatest(blocked_until_ms, $2::bigint), rate_factor = $3, penalized_at_ms = $4 WHERE account = $1`,
        [account, a.now + Math.max(0, Math.round(retryAfterMs)), factor, a.now],
      );
    });
  }

  /** One attempt: takes `cost` calls and returns 0, or returns how long to wait before trying again. */
  private async tryTake(tx: SqlDriver, account: string, limit: RateLimit, cost: number): Promise<number> {
    const a = await this.lockAccount(tx, account);
    if (a.now < a.blockedUntil) return a.blockedUntil - a.now;
    const factor = recoveredFactor(a.factor, a.penalizedAt, a.now, limit.perMs);
    const allowed = Math.max(1, Math.floor(limit.requests * factor));
    const since = a.now - limit.perMs - ARRIVAL_MARGIN_MS;
    await tx.exec(`DELETE FROM ebb_budget_calls WHERE account = $1 AND at_ms <= $2`, [account, since]);
    const calls = await tx.query<{ at_ms: string }>(`SELECT at_ms FROM ebb_budget_calls WHERE account = $1 ORDER BY at_ms`, [account]);
    if (calls.length + cost <= allowed) {
      await tx.exec(`INSERT INTO ebb_budget_calls (account, at_ms) SELECT $1, $2::bigint FROM generate_series(1, $3::int)`, [account, a.now, cost]);
      return 0;
    }
    // Wait until enough of the oldest calls leave the window.
    const leave = Math.min(calls.length, calls.length + cost - allowed);
    return Number(calls[Math.max(0, leave - 1)].at_ms) + limit.perMs + ARRIVAL_MARGIN_MS - a.now + 1;
  }

  /** Locks (creating if new) the account's row, and reads it with the database's clock. */
  private async lockAccount(tx: SqlDriver, account: string) {
    await tx.exec(`INSERT INTO ebb_budget_accounts (account, blocked_until_ms, rate_factor, penalized_at_ms) VALUES ($1, 0, 1, 0) ON CONFLICT (account) DO NOTHING`, [account]);
    const [r] = await tx.query<{ blocked_until_ms: string; rate_factor: number; penalized_at_ms: string; now: string }>(
      `SELECT blocked_until_ms, rate_factor, penalized_at_ms, (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now
       FROM ebb_budget_accounts WHERE account = $1 FOR UPDATE`,
      [account],
    );
    return { blockedUntil: Number(r.blocked_until_ms), factor: Number(r.rate_factor), penalizedAt: Number(r.penalized_at_ms), now: Number(r.now) };
  }

  private migrate(): Promise<void> {
    // Workers start together: concurrent CREATE TABLE IF NOT EXISTS can still collide in the
    // catalog, so the DDL runs under a transaction-scoped advisory lock.
    this.ready ??= this.driver.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('ebb_budget_ddl'))`);
      for (const stmt of budgetDdl) await tx.exec(stmt);
    });
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }
}
