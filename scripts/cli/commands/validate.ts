import { listSpecFiles, loadSpecFile } from '../../../connectors/spec-files';
import { isEbbError } from '../../../domain/errors';
import { ExitCode } from '../client';

/** `ebb validate [file…]`: validates spec files (default: every file in the syncs folder). */
export async function validateCommand(args: { files: string[]; syncsDir: string; json: boolean }): Promise<number> {
  const files = args.files.length ? args.files : await listSpecFiles(args.syncsDir);
  const results: Array<{ file: string; sync?: string; ok: boolean; error?: string }> = [];
  for (const file of files) {
    try {
      const spec = await loadSpecFile(file);
      results.push({ file, sync: spec.name, ok: true });
    } catch (err) {
      results.push({ file, ok: false, error: isEbbError(err) ? err.message : String(err) });
    }
  }
  if (args.json) console.log(JSON.stringify(results, null, 2));
  else {
    for (const r of results) console.log(r.ok ? `ok    ${r.file} (${r.sync})` : `error ${r.error}`);
    if (files.length === 0) console.log(`no spec files in ${args.syncsDir}`);
  }
  return results.every((r) => r.ok) ? ExitCode.ok : ExitCode.failed;
}
