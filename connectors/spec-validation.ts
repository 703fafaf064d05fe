import { parse as parseYaml, YAMLParseError } from 'yaml';
import { configError } from '../domain/errors';
import { formatSpecIssues, specIssues, type SpecIssue } from '../domain/spec/issues';
import { syncSpecSchema, type SyncSpec } from '../domain/spec/schema';
import { destinationConnectors, sourceConnectors } from './registry';

/**
 * Validates a sync spec completely before anything runs: the spec's own shape, each
 * connector's `connection` against that connector's schema, and each mode against what the
 * destination supports. Every problem is collected, even when the spec's shape is broken
 * elsewhere, so one error lists every bad path. Throws a non-retryable config error naming `file`.
 */
export function validateSpec(raw: unknown, file: string): SyncSpec {
  const parsed = syncSpecSchema.safeParse(raw);
  const issues: SpecIssue[] = parsed.success ? [] : specIssues(parsed.error);
  issues.push(...connectorIssues(raw));
  if (parsed.success && parsed.data.changeDetection.mode === 'watermark' && parsed.data.destinations.some((d) => d.mode === 'mirror')) {
    issues.push({ path: 'changeDetection.mode', message: 'mirror mode needs deletes, which only a full read can see; use changeDetection.mode "diff"' });
  }
  if (issues.length || !parsed.success) throw configError(formatSpecIssues(file, dedupe(issues)), { path: file });
  return parsed.data;
}

/** Checks the connector-specific parts of a (possibly otherwise broken) spec. */
function connectorIssues(raw: unknown): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const spec = asRecord(raw);
  const source = asRecord(spec?.source);
  if (typeof source?.kind === 'string') {
    const connector = sourceConnectors[source.kind];
    if (!connector) {
      issues.push({ path: 'source.kind', message: `unknown source kind "${source.kind}"; known: ${Object.keys(sourceConnectors).join(', ')}` });
    } else {
      const r = connector.configSchema.safeParse(source.connection ?? {});
      if (!r.success) issues.push(...specIssues(r.error, ['source', 'connection']));
      if (spec?.syncLog !== undefined && !connector.writesSyncLog) {
        issues.push({ path: 'syncLog', message: `a ${source.kind} source cannot keep a sync log; sources that can: ${Object.entries(sourceConnectors).filter(([, c]) => c.writesSyncLog).map(([k]) => k).join(', ')}` });
      }
    }
  }
  const destinations = Array.isArray(spec?.destinations) ? spec.destinations : [];
  destinations.forEach((item, i) => {
    const d = asRecord(item);
    if (typeof d?.kind !== 'string') return;
    const connector = destinationConnectors[d.kind];
    if (!connector) {
      issues.push({ path: `destinations[${i}].kind`, message: `unknown destination kind "${d.kind}"; known: ${Object.keys(destinationConnectors).join(', ')}` });
      return;
    }
    const r = connector.configSchema.safeParse(d.connection ?? {});
    if (!r.success) issues.push(...specIssues(r.error, ['destinations', i, 'connection']));
    const mode = d.mode ?? 'upsert';
    if (typeof mode === 'string' && !(connector.modes as readonly string[]).includes(mode) && ['upsert', 'update', 'insert', 'mirror'].includes(mode)) {
      issues.push({ path: `destinations[${i}].mode`, message: `${d.kind} does not support mode "${mode}"; use one of ${connector.modes.join(', ')}` });
    }
  });
  return issues;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Parses YAML text and validates it. YAML syntax errors name the file, line and column. */
export function parseSpecText(text: string, file: string): SyncSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const at = err.linePos?.[0];
      throw configError(`${file}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${err.message.split('\n')[0]}`, { path: file });
    }
    throw err;
  }
  return validateSpec(raw, file);
}
