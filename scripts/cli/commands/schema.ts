import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { syncSpecSchema } from '../../../domain/spec/schema';
import { ExitCode } from '../client';

/** The JSON Schema of sync specs, generated from the same zod schema that validates them. */
export function specJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(syncSpecSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'ebb sync spec',
  };
}

/** `ebb schema [--out FILE]`: prints or writes the JSON Schema. */
export async function schemaCommand(args: { out?: string }): Promise<number> {
  const text = `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
  if (args.out) await writeFile(args.out, text);
  else process.stdout.write(text);
  return ExitCode.ok;
}
