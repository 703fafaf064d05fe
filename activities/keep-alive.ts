import type { Context } from '@temporalio/activity';

/** Heartbeat cadence while work is in progress (the SDK throttles what it actually sends). */
const KEEP_ALIVE_MS = 2_000;

/**
 * Runs `fn` while heartbeating the latest progress every couple of seconds. Long steps (a
 * destination's Retry-After, a big diff inside the database) then never look dead, while a
 * worker that really died stops heartbeating and its activity is retried after the timeout.
 */
export async function withKeepAlive<T>(ctx: Context, progress: () => unknown, fn: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => ctx.heartbeat(progress()), KEEP_ALIVE_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
