/**
 * HubSpot's burst limit: at most `max` requests per rolling `intervalMs` per app (private-app
 * token), counted on arrival. A refused request does not count.
 */
export class RollingLimit {
  private readonly arrivals: number[] = [];
  /** Requests answered 429. */
  refused = 0;

  constructor(
    readonly max: number,
    readonly intervalMs: number,
  ) {}

  /** Records an arrival; false when it is over the limit (answer 429). */
  admit(now = Date.now()): boolean {
    while (this.arrivals.length && this.arrivals[0] <= now - this.intervalMs) this.arrivals.shift();
    if (this.arrivals.length >= this.max) {
      this.refused++;
      return false;
    }
    this.arrivals.push(now);
    return true;
  }

  /** The X-HubSpot-RateLimit-* headers HubSpot sends with every response. */
  headers(): Record<string, string> {
    return {
      'x-hubspot-ratelimit-max': String(this.max),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, this.max - this.arrivals.length)),
      'x-hubspot-ratelimit-interval-milliseconds': String(this.intervalMs),
    };
  }
}
