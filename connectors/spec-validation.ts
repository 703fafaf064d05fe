import { parse as parseYaml, YAMLParseError } from 'yaml';
import { configError } from '../domain/errors';
import { formatSpecIssues, specIssues, type SpecIssue } from '../domain/spec/issues';
import { syncSpecSchema, type SyncSpec } from '../domain/spec/schema';
import { destinationConnectors, sourceConnectors } from './registry';

/**
 * Validates a sync spec completely before anything runs: the spec's own shape, then each
 * connector's `connection` against that connector's schema, then the mode against what the
 * destination supports. Every problem is collected, so one error lists every bad path.
 * Throws a non-retryable config error naming `file`.
 */
export function validateSpec(raw: unknown, file: string): SyncSpec {
  const parsed = syncSpecSchema.safeParse(raw);
  if (!parsed.success) throw configError(formatSpecIssues(file, specIssues(parsed.error)), { path: file });
  const spec = parsed.data;
  const issues: SpecIssue[] = [];

  const source = sourceConnectors[spec.source.kind];
  if (!source) {
    issues.push({ path: 'source.kind', message: `unknown source kind "${spec.source.kind}"; known: ${Object.keys(sourceConnectors).join(', ')}` });
  } else {
    const r = source.configSchema.safeParse(spec.source.connection);
    if (!r.success) issues.push(...specIssues(r.error, ['source', 'connection']));
  }

  spec.destinations.forEach((d, i) => {
    const dest = destinationConnectors[d.kind];
    if (!dest) {
      issues.push({ path: `destinations[${i}].kind`, message: `unknown destination kind "${d.kind}"; known: ${Object.keys(destinationConnectors).join(', ')}` });
      return;
    }
    const r = dest.configSchema.safeParse(d.connection);
    if (!r.success) issues.push(...specIssues(r.error, ['destinations', i, 'connection']));
    if (!dest.modes.includes(d.mode)) {
      issues.push({ path: `destinations[${i}].mode`, message: `${d.kind} does not support mode "${d.mode}"; use one of ${dest.modes.join(', ')}` });
    }
  });
  if (spec.changeDetection.mode === 'watermark' && spec.destinations.some((d) => d.mode === 'mirror')) {
    issues.push({
      path: 'changeDetection.mode',
      message: 'mirror mode needs deletes, which only a full read can see; use changeDetection.mode "diff"',
    });
  }
  if (issues.length) throw configError(formatSpecIssues(file, issues), { path: file });
  return spec;
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
