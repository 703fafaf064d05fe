import type { Row } from '../connectors/types';
import type { RowMapper } from '../domain/mapping';
import type { ConsentCheck } from '../domain/policy/evaluate';
import { canonicalJson } from '../domain/row-hash';

/** A destination's compiled mapping and consent check, as the plan uses them. */
export interface PlanMapper {
  name: string;
  map: RowMapper;
  idField: string;
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
  const id = fields[m.idField];
  if (id === null || id === undefined || id === '') {
    m.suppressed['identity:missing'] = (m.suppressed['identity:missing'] ?? 0) + 1;
    return undefined;
  }
  return { destId: JSON.stringify(id), payload: canonicalJson(fields) };
}
