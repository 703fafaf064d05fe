import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

// Lines are gathered into writes of about this size: few syscalls, bounded memory.
const FLUSH_BYTES = 256 * 1024;

/**
 * Writes `lines` (each without its line ending) to `file` atomically: into a temporary file in
 * the same directory, fsync'd, then renamed over `file`, and the directory fsync'd. A reader
 * sees the old file or the whole new one, never a part; after a crash, at worst a `.tmp-` file.
 */
export async function writeLinesAtomic(file: string, lines: Iterable<string> | AsyncIterable<string>, eol = '\n'): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'w');
  try {
    let buf = '';
    for await (const line of lines) {
      buf += line + eol;
      if (buf.length >= FLUSH_BYTES) {
        await fh.write(buf);
        buf = '';
      }
    }
    if (buf) await fh.write(buf);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  await syncDir(path.dirname(file));
}

/** The lines of a file, streamed. */
export async function* readLines(file: string): AsyncIterable<string> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    // Stopping early (readFirstLine) must release the file too.
    rl.close();
    input.destroy();
  }
}

/** The first line of a file, reading no further than it. */
export async function readFirstLine(file: string): Promise<string | undefined> {
  for await (const line of readLines(file)) return line;
  return undefined;
}

/** Names in `dir`, or none when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Whether `file` exists (other stat failures are thrown). */
export const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
  );

/** `mkdir -p`. */
export const ensureDir = (dir: string) => mkdir(dir, { recursive: true });

/** Removes files (missing ones are fine), then makes the removal durable. */
export async function removeFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const n of names) await rm(path.join(dir, n), { force: true });
  if (names.length) await syncDir(dir);
}

/** Proves `dir` accepts new files by creating and removing one. */
export async function probeWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.ebb-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  await (await open(probe, 'w')).close();
  await rm(probe, { force: true });
}

async function syncDir(dir: string): Promise<void> {
  // Makes a rename or removal durable. Not every platform can fsync a directory: best effort.
  const fh = await open(dir, 'r').catch(() => undefined);
  await fh?.sync().catch(() => undefined);
  await fh?.close();
}
