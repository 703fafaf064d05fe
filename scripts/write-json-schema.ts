/** `npm run schema`: writes syncs/sync-spec.schema.json from the zod spec schema (one source of truth). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { specJsonSchema } from '../connectors/spec-json-schema';

const out = path.resolve(__dirname, '../syncs/sync-spec.schema.json');
writeFile(out, `${JSON.stringify(specJsonSchema(), null, 2)}\n`).then(() => console.log(`wrote ${path.relative(process.cwd(), out)}`));
