/**
 * The request budget of a single worker process (the embedded DuckDB state store's deployment):
 * the same rules as the shared budget in state/shared-budget.ts — a rolling window per vendor
 * account, Retry-After blocks the account, a 429 halves the rate and quiet windows restore it —
 * kept in memory.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimit, RequestBudget } from '../types';

/** The rate never drops below this share of the limit. */
const MIN_FACTOR = 0.1;
/** Extra slack on the window for the time a call takes to reach the vendor. */
const ARRIVAL_MARGIN_MS = 150;

interface AccountState {
  calls: number[];
  blockedUntil: number;
  factor: number;
  penalizedAt: number;
}

/** A {@link RequestBudget} in process memory. */
export class MemoryRequestBudget implements RequestBudget {
  private readonly accounts = new Map<string, AccountState>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(account: string, limit: RateLimit, cost = 1): Promise<number> {
    let waited = 0;
    for (;;) {
      const wait = this.tryTake(this.state(account), limit, cost);
      if (wait <= 0) return waited;
      await sleep(wait);
      waited += wait;
    }
  }

  async penalize(account: string, retryAfterMs: number): Promise<void> {
    const s = this.state(account);
    const now = this.now();
    s.factor = Math.max(MIN_FACTOR, s.factor / 2);
    s.penalizedAt = now;
    s.blockedUntil = Math.max(s.blockedUntil, now + Math.max(0, retryAfterMs));
  }

  /** Takes `cost` calls and returns 0, or returns how long to wait first. Synchronous: no interleaving. */
  private tryTake(s: AccountState, limit: RateLimit, cost: number): number {
    const now = this.now();
    if (now < s.blockedUntil) return s.blockedUntil - now;
    const factor = s.penalizedAt <= 0 ? 1 : Math.min(1, s.factor + 0.1 * Math.floor((now - s.penalizedAt) / limit.perMs));
    const allowed = Math.max(1, Math.floor(limit.requests * factor));
    const since = now - limit.perMs - ARRIVAL_MARGIN_MS;
    while (s.calls.length && s.calls[0] <= since) s.calls.shift();
    if (s.calls.length + cost <= allowed) {
      for (let i = 0; i < cost; i++) s.calls.push(now);
      return 0;
    }
    const leave = Math.min(s.calls.length, s.calls.length + cost - allowed);
    return s.calls[Math.max(0, leave - 1)] + limit.perMs + ARRIVAL_MARGIN_MS - now + 1;
  }

  private state(account: string): AccountState {
    let s = this.accounts.get(account);
    if (!s) this.accounts.set(account, (s = { calls: [], blockedUntil: 0, factor: 1, penalizedAt: 0 }));
    return s;
  }
}
