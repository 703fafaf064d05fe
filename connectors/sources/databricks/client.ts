/**
 * The Statement Execution API 2.0 over fetch: submit a statement, poll it, and fetch its result
 * chunks (inline, or through presigned external links, fetched without the token). Retries
 * 429 (honouring Retry-After), 5xx and network errors in place.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabricksSourceConfig } from './config';
import { DatabricksApiError } from './errors';

/** A column of a result's manifest. */
export interface ManifestColumn {
  name: string;
  type_name: string;
  type_text?: string;
}

/** One result chunk: rows as arrays of strings or nulls. */
export interface ResultChunk {
  rows: (string | null)[][];
  nextChunkIndex?: number;
}

/** A statement that succeeded: its columns and a way to walk its chunks. */
export interface StatementResult {
  id: string;
  columns: ManifestColumn[];
  first: ResultChunk;
  chunk(index: number): Promise<ResultChunk>;
  cancel(): Promise<void>;
}

interface ApiChunk {
  data_array?: (string | null)[][];
  next_chunk_index?: number;
  external_links?: Array<{ external_link: string; next_chunk_index?: number }>;
}
interface ApiStatement {
  statement_id: string;
  status: { state: string; error?: { error_code?: string; message?: string } };
  manifest?: { schema?: { columns?: ManifestColumn[] } };
  result?: ApiChunk;
}

/** A client for one workspace and warehouse. */
export class StatementClient {
  private readonly base: string;
  constructor(
    private readonly config: DatabricksSourceConfig,
    private readonly token: string,
  ) {
    this.base = config.host.replace(/\/$/, '');
  }

  /** Runs `sql` and returns its result once it succeeded; a failed statement throws its error. */
  async execute(sql: string, disposition: 'INLINE' | 'EXTERNAL_LINKS'): Promise<StatementResult> {
    let st = await this.api<ApiStatement>('POST', '/api/2.0/sql/statements', {
      statement: sql,
      warehouse_id: this.config.warehouseId,
      wait_timeout: `${this.config.waitTimeoutSeconds}s`,
      on_wait_timeout: 'CONTINUE',
      disposition,
      format: 'JSON_ARRAY',
      ...(this.config.catalog ? { catalog: this.config.catalog } : {}),
      ...(this.config.schema ? { schema: this.config.schema } : {}),
    });
    while (st.status.state === 'PENDING' || st.status.state === 'RUNNING') {
      await sleep(this.config.pollIntervalMs);
      st = await this.api<ApiStatement>('GET', `/api/2.0/sql/statements/${st.statement_id}`);
    }
    if (st.status.state !== 'SUCCEEDED') {
      throw new DatabricksApiError(0, st.status.error?.error_code ?? st.status.state, st.status.error?.message ?? `the statement ended ${st.status.state}`);
    }
    const id = st.statement_id;
    return {
      id,
      columns: st.manifest?.schema?.columns ?? [],
      first: await this.toChunk(st.result ?? {}),
      chunk: async (index) => this.toChunk(await this.api<ApiChunk>('GET', `/api/2.0/sql/statements/${id}/result/chunks/${index}`)),
      cancel: async () => void (await this.api('POST', `/api/2.0/sql/statements/${id}/cancel`).catch(() => undefined)),
    };
  }

  private async toChunk(c: ApiChunk): Promise<ResultChunk> {
    const link = c.external_links?.[0];
    if (link) {
      // A presigned URL: the token must not go to the storage service.
      const rows = await this.request<(string | null)[][]>('GET', link.external_link, undefined, false);
      return { rows, nextChunkIndex: link.next_chunk_index };
    }
    return { rows: c.data_array ?? [], nextChunkIndex: c.next_chunk_index };
  }

  private api<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, `${this.base}${path}`, body, true);
  }

  private async request<T>(method: string, url: string, body: unknown, withToken: boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { ...(withToken ? { authorization: `Bearer ${this.token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
      } catch (err) {
        if (attempt >= this.config.maxAttempts) throw err;
        await sleep(Math.min(250 * 2 ** attempt, 10_000));
        continue;
      }
      if (res.ok) return (await res.json()) as T;
      const text = await res.text();
      let parsed: { error_code?: string; message?: string } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        parsed = { message: text.slice(0, 200) };
      }
      const retryAfterMs = Number(res.headers.get('retry-after') ?? '') * 1000 || undefined;
      const err = new DatabricksApiError(res.status, parsed.error_code ?? `HTTP_${res.status}`, parsed.message ?? '', retryAfterMs);
      const retryable = res.status === 429 || res.status >= 500;
      if (!retryable || attempt >= this.config.maxAttempts) throw err;
      await sleep(retryAfterMs ?? Math.min(250 * 2 ** attempt, 10_000));
    }
  }
}
