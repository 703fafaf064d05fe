import { writeFile } from 'node:fs/promises';
import { specJsonSchema } from '../../../connectors/spec-json-schema';
import { ExitCode } from '../client';

export { specJsonSchema };

/** `ebb schema [--out FILE]`: prints or writes the JSON Schema of sync specs. */
export async function schemaCommand(args: { out?: string }): Promise<number> {
  const text = `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
  if (args.out) await writeFile(args.out, text);
  else process.stdout.write(text);
  return ExitCode.ok;
}
