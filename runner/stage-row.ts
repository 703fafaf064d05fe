import type { Row } from '../connectors/types';
import type { RowMapper } from '../domain/mapping';
import type { ConsentCheck } from '../domain/policy/evaluate';
import { canonicalJson } from '../domain/row-hash';

/** A destination's compiled mapping and consent check, as the plan uses them. */
export interface PlanMapper {
  name: string;
  map: RowMapper;
  idField: string;
  /** Identifiers in order of precedence (spec `matchOn`), when there are several. */
  matchOn?: readonly string[];
  consent?: ConsentCheck;
  /** Rows never staged for this destination, by reason. */
  suppressed: Record<string, number>;
}

/**
 * What a row stages for one destination: its mapped payload and identity, or undefined when
 * the row must never be sent (no consent for the destination's purposes, or no identity);
 * the reason is counted. Both change-detection paths call this, so they suppress alike.
 */
export function mapForStage(m: PlanMapper, row: Row): { destId: string; payload: string } | undefined {
  // Never staged, so never sent; a mirror-mode destination then removes what it held.
  const denied = m.consent?.(row);
  if (denied) {
    m.suppressed[denied] = (m.suppressed[denied] ?? 0) + 1;
    return undefined;
  }
  const fields = m.map(row);
  if (m.matchOn) {
    // Several identifiers: the row is sendable when any is present; a delete later needs them all.
    const ids = Object.fromEntries(m.matchOn.filter((f) => present(fields[f])).map((f) => [f, fields[f]]));
    if (Object.keys(ids).length === 0) return missingIdentity(m);
    return { destId: canonicalJson(ids), payload: canonicalJson(fields) };
  }
  const id = fields[m.idField];
  if (!present(id)) return missingIdentity(m);
  return { destId: JSON.stringify(id), payload: canonicalJson(fields) };
}

/** Module-level, not a closure per row: the hot path allocates nothing it does not return. */
function present(v: unknown): boolean {
  return v !== null && v !== undefined && v !== '';
}

function missingIdentity(m: PlanMapper): undefined {
  m.suppressed['identity:missing'] = (m.suppressed['identity:missing'] ?? 0) + 1;
  return undefined;
}
