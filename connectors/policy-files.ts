import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { configError } from '../domain/errors';
import { policySchema, type Policy } from '../domain/policy/schema';
import type { SyncSpec } from '../domain/spec/schema';
import { specIssues } from '../domain/spec/issues';

/**
 * Replaces a spec's `policy: <file>` with the policy it names, read and validated, so the
 * run carries the exact policy it applied (and its version). A missing or invalid file is a
 * config error naming the file and every bad path, raised at load-spec, before any read or
 * write. Paths are relative to the syncs folder.
 */
export async function resolvePolicy(spec: SyncSpec, syncsDir: string): Promise<SyncSpec> {
  if (typeof spec.policy !== 'string') return spec;
  const file = path.resolve(syncsDir, spec.policy);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw configError(`policy file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); it is relative to the syncs folder`, { sync: spec.name, path: 'policy' });
  }
  return { ...spec, policy: parsePolicy(text, file, spec.name) };
}

/** Parses and validates a policy document, naming `file` and each bad path. */
export function parsePolicy(text: string, file: string, sync?: string): Policy {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw configError(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`, { sync, path: file });
  }
  const r = policySchema.safeParse(raw);
  if (!r.success) {
    const issues = specIssues(r.error);
    throw configError(`${file}: invalid policy (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`, { sync, path: file });
  }
  return r.data;
}
