import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { configError } from '../domain/errors';
import type { SyncSpec } from '../domain/spec/schema';
import { parseSpecText } from './spec-validation';

/** Reads and validates one spec file. */
export async function loadSpecFile(file: string): Promise<SyncSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw configError(`${file}: cannot read spec (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { path: file, cause: err });
  }
  return parseSpecText(text, file);
}

/** Spec files in a folder (`*.yaml` / `*.yml`), sorted. */
export async function listSpecFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries.filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
}

/**
 * Finds a spec by sync name in a folder: `<dir>/<name>.yaml`, or else any file whose `name`
 * field matches. Throws a config error listing the names it knows.
 */
export async function findSpec(dir: string, name: string): Promise<{ spec: SyncSpec; file: string }> {
  for (const ext of ['.yaml', '.yml']) {
    const file = path.join(dir, `${name}${ext}`);
    const exists = await readFile(file, 'utf8').then(() => true, () => false);
    if (exists) {
      const spec = await loadSpecFile(file);
      if (spec.name === name) return { spec, file };
    }
  }
  const known: string[] = [];
  for (const file of await listSpecFiles(dir)) {
    const spec = await loadSpecFile(file).catch(() => undefined);
    if (spec?.name === name) return { spec, file };
    if (spec) known.push(spec.name);
  }
  throw configError(`no sync named "${name}" in ${dir}${known.length ? `; known: ${known.join(', ')}` : ''}`, { sync: name, path: dir });
}
