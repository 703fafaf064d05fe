/**
 * The canary cohort in SQL (the subset DuckDB and PostgreSQL share). The cohort is a function
 * of the primary key alone, so it is the same rows on every run, retry and replay.
 */
import type { CanaryCohort } from '../domain/spec/safety';

/**
 * A predicate true for cohort rows. `percent`: the first 8 hex digits of md5(key), read as a
 * 32-bit bucket, fall below `percent`% of 2^32 — compared as fixed-width lowercase hex strings,
 * which order like the numbers, so no engine-specific hex parsing is needed. `rows`: the first N
 * by seq (cohort rows take the first seqs).
 */
export function cohortPredicate(cohort: CanaryCohort, keyColumn: string, seqColumn: string): string {
  if ('rows' in cohort) return `${seqColumn} <= ${Math.trunc(cohort.rows)}`;
  if (cohort.percent >= 100) return 'TRUE';
  return `substr(md5(${keyColumn}), 1, 8) < '${bucketBound(cohort.percent)}'`;
}

/** The exclusive upper bucket of a percent cohort, as 8 lowercase hex digits. */
export function bucketBound(percent: number): string {
  return Math.floor((percent / 100) * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
}

/**
 * Numbers a change set (`changes`, a SELECT with a `key` column) with the cohort first: `rn` is
 * dense over all rows, cohort rows fill chunks `[0, canaryChunks)` alone, and the other rows
 * start at the next chunk — so promoting the canary is "apply the remaining chunks".
 */
export function cohortOrderedChanges(changes: string, cohort: CanaryCohort, size: number): string {
  const inCohort = 'rows' in cohort ? `row_number() OVER (ORDER BY key) <= ${Math.trunc(cohort.rows)}` : cohortPredicate(cohort, 'key', 'seq');
  return `SELECT row_number() OVER (ORDER BY canary DESC, key) AS rn,
            CAST(CASE WHEN canary THEN floor((row_number() OVER (PARTITION BY canary ORDER BY key) - 1) / ${size})
                 ELSE floor((sum(CASE WHEN canary THEN 1 ELSE 0 END) OVER () + ${size - 1}) / ${size})
                      + floor((row_number() OVER (PARTITION BY canary ORDER BY key) - 1) / ${size}) END AS BIGINT) AS chunk,
            c.*
     FROM (SELECT x.*, ${inCohort} AS canary FROM (${changes}) x) c`;
}
