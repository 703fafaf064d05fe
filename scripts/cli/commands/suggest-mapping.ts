import path from 'node:path';
import { createConnectorContext } from '../../../connectors/context';
import { findSpec } from '../../../connectors/spec-files';
import { primaryKeyColumns } from '../../../domain/spec/schema';
import { suggestMapping, type MappingProposal, type MappingSuggestion } from '../../../domain/suggest-mapping';
import { openDestination, openSource, using } from '../../../runner/connect';
import { CliError, ExitCode } from '../client';

/**
 * `ebb suggest-mapping SYNC [--destination NAME]`: reads the model's columns from the source and
 * each destination's fields from `describe()`, and prints a proposed mapping with a confidence
 * per field, as YAML to paste into the spec. Runs here, with this machine's credentials (the
 * same references the worker resolves): it reads column names and types, never rows.
 */
export async function suggestMappingCommand(args: { sync: string; syncsDir: string; destination?: string; json: boolean }): Promise<number> {
  const { spec } = await findSpec(args.syncsDir, args.sync);
  const ctx = createConnectorContext({ baseDir: path.resolve(process.env.EBB_BASE_DIR ?? process.cwd()) });
  const dests = spec.destinations.filter((d) => !args.destination || d.name === args.destination);
  if (dests.length === 0) throw new CliError(`sync ${spec.name} has no destination "${args.destination}" (it has ${spec.destinations.map((d) => d.name).join(', ')})`, ExitCode.usage);
  const columns = await using(openSource(spec.source, ctx), (s) => s.columns(spec.model));
  const proposals: { destination: string; object: string; proposal: MappingProposal }[] = [];
  for (const dest of dests) {
    const desc = await using(openDestination(dest, ctx), (d) => d.describe(dest.object));
    if (desc.fields.length === 0) {
      console.error(`${dest.name}: ${dest.kind} ${dest.object} describes no fields, so there is nothing to match against`);
      continue;
    }
    proposals.push({ destination: dest.name, object: dest.object, proposal: suggestMapping(columns, desc.fields, { primaryKey: primaryKeyColumns(spec) }) });
  }
  if (args.json) console.log(JSON.stringify(proposals, null, 2));
  else for (const p of proposals) console.log(formatProposal(p.destination, p.object, p.proposal));
  return ExitCode.ok;
}

function formatProposal(destination: string, object: string, p: MappingProposal): string {
  const lines = [`# ${destination} (${object}): ${p.suggestions.length} field(s) proposed; review before committing`, 'mapping:'];
  const width = Math.max(0, ...p.suggestions.map((s) => yamlValue(s).length + s.field.length));
  for (const s of p.suggestions) {
    const entry = `${yamlKey(s.field)}: ${yamlValue(s)}`;
    lines.push(`  ${entry.padEnd(width + 4)} # ${s.confidence.toFixed(2)} ${s.reason}`);
  }
  const required = p.unmatchedFields.filter((f) => f.required).map((f) => f.name);
  if (required.length) lines.push(`# required and unmatched: ${required.join(', ')}`);
  const others = p.unmatchedFields.filter((f) => !f.required).map((f) => f.name);
  if (others.length) lines.push(`# other unmatched fields: ${others.join(', ')}`);
  if (p.unmatchedColumns.length) lines.push(`# unused model columns: ${p.unmatchedColumns.join(', ')}`);
  return lines.join('\n');
}

function yamlKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(k) ? k : JSON.stringify(k);
}

function yamlValue(s: MappingSuggestion): string {
  if (!s.transform && !s.format) return yamlKey(s.column);
  const parts = [`column: ${yamlKey(s.column)}`];
  if (s.transform) parts.push(`transform: [${s.transform.join(', ')}]`);
  if (s.format) parts.push(`format: ${s.format}`);
  return `{ ${parts.join(', ')} }`;
}
