/**
 * ebb's error taxonomy. Every failure is one {@link EbbError} with a `kind` that tells the
 * runner what to do with it; activities turn it into an `ApplicationFailure` whose `type`
 * is one of {@link ErrorType}, and the workflow's retry policy lists the non-retryable ones.
 */

/** What the runner should do about an error. */
export const ErrorKind = {
  /** The spec, a mapping or a connector's configuration is wrong. Retrying cannot help. */
  config: 'config',
  /** Credentials were refused. Retrying cannot help. */
  auth: 'auth',
  /** The remote side asked us to slow down; retry after `retryAfterMs`. */
  rateLimit: 'rateLimit',
  /** A network blip, a 5xx, a lock timeout: retry with backoff. */
  transient: 'transient',
  /** The data itself is unacceptable as a whole (e.g. a type the destination cannot hold). */
  data: 'data',
  /** An invariant broke. Retrying cannot help; a human must look. */
  fatal: 'fatal',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** `ApplicationFailure.type` names, one per kind. Exported so retry policies can list them. */
export const ErrorType = {
  config: 'EbbConfigError',
  auth: 'EbbAuthError',
  rateLimit: 'EbbRateLimitError',
  transient: 'EbbTransientError',
  data: 'EbbDataError',
  fatal: 'EbbFatalError',
} as const satisfies Record<ErrorKind, string>;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Failure types that retrying cannot fix: put these in `nonRetryableErrorTypes`. */
export const NON_RETRYABLE_ERROR_TYPES: readonly string[] = [
  ErrorType.config,
  ErrorType.auth,
  ErrorType.data,
  ErrorType.fatal,
];

/** Where an error happened, so every message can name the sync, the step and the thing at fault. */
export interface ErrorContext {
  sync?: string;
  step?: string;
  destination?: string;
  /** The field, path or object at fault (e.g. `destinations[0].mapping.email`, `table public.contacts`). */
  path?: string;
}

/** Options for {@link EbbError}. */
export interface EbbErrorOptions extends ErrorContext {
  cause?: unknown;
  /** For `rateLimit`: how long the remote side asked us to wait. */
  retryAfterMs?: number;
}

/** The one base error. Its message never contains row values or secrets. */
export class EbbError extends Error {
  readonly kind: ErrorKind;
  readonly retryAfterMs?: number;
  readonly context: ErrorContext;

  constructor(kind: ErrorKind, message: string, options: EbbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = ErrorType[kind];
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
    const { cause: _cause, retryAfterMs: _retry, ...context } = options;
    this.context = context;
  }

  /** The failure type name for this error's kind. */
  get type(): ErrorType {
    return ErrorType[this.kind];
  }

  /** True when retrying cannot help. */
  get nonRetryable(): boolean {
    return NON_RETRYABLE_ERROR_TYPES.includes(this.type);
  }

  /** A copy with more context filled in (existing fields win: the innermost code knows best). */
  withContext(context: ErrorContext): EbbError {
    const copy = new EbbError(this.kind, this.message, {
      ...context,
      ...this.context,
      cause: this.cause,
      retryAfterMs: this.retryAfterMs,
    });
    copy.stack = this.stack;
    return copy;
  }

  /** `sync=… step=… destination=… path=…: message`, the one-line form used in failures and logs. */
  describe(): string {
    const parts = (['sync', 'step', 'destination', 'path'] as const)
      .filter((k) => this.context[k] !== undefined)
      .map((k) => `${k}=${this.context[k]}`);
    return parts.length ? `[${parts.join(' ')}] ${this.message}` : this.message;
  }
}

/** Shorthand constructors, so call sites read as what went wrong. */
export const configError = (message: string, o?: EbbErrorOptions) => new EbbError('config', message, o);
export const authError = (message: string, o?: EbbErrorOptions) => new EbbError('auth', message, o);
export const transientError = (message: string, o?: EbbErrorOptions) => new EbbError('transient', message, o);
export const rateLimitError = (message: string, retryAfterMs: number | undefined, o?: EbbErrorOptions) =>
  new EbbError('rateLimit', message, { ...o, retryAfterMs });
export const dataError = (message: string, o?: EbbErrorOptions) => new EbbError('data', message, o);
export const fatalError = (message: string, o?: EbbErrorOptions) => new EbbError('fatal', message, o);

/** Narrowing helper. */
export function isEbbError(err: unknown): err is EbbError {
  return err instanceof EbbError;
}
