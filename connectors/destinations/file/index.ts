/**
 * The `file` destination: a change export. Every run produces one file,
 * `<directory>/<object>-<runId>.jsonl` (or `.csv`), with one line per change:
 * `{"_op":"upsert","_key":"…",…fields}`, or the CSV columns `_op,_key,<fields>`. Deletes are
 * lines too (`_op: delete`), so a consumer can replay the files in order to mirror the model.
 */
import path from 'node:path';
import type { Destination, DestinationConnector } from '../../types';
import { ensureDir, probeWritable } from './client';
import { fileDestinationConfigSchema, type FileDestinationConfig } from './config';
import { assertObjectName, fsError } from './errors';
import { finalizeRun, partsDir, writePart, type FileTarget } from './write';

/** The `file` destination connector. */
export const fileDestination: DestinationConnector<FileDestinationConfig> = {
  kind: 'file',
  configSchema: fileDestinationConfigSchema,
  // No `update`: a change export cannot know whether a record exists downstream.
  modes: ['upsert', 'insert', 'mirror'],
  create(config, ctx): Destination {
    const target: FileTarget = { directory: path.resolve(ctx.baseDir, config.directory), format: config.format };
    const knownFields = new Map<string, string[] | null>();
    return {
      async check(object) {
        assertObjectName(object);
        try {
          await ensureDir(partsDir(target, object));
          await probeWritable(target.directory);
        } catch (err) {
          throw fsError(err, `creating or writing directory ${target.directory}`);
        }
      },
      // An export file has no schema to describe.
      describe: async (object) => ({ object, fields: [] }),
      write: (batch) => writePart(target, batch, knownFields),
      finalize: (run) => finalizeRun(target, run),
      close: async () => undefined,
    };
  },
};

export type { FileDestinationConfig } from './config';
