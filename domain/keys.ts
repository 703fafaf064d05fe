/**
 * A row's primary key as one string. Single-column keys are the value itself (so they read
 * naturally in state and logs); composite keys are a JSON array. Returns undefined when any
 * key column is null: such rows cannot be tracked and are reported, never sent.
 */
export function keyOf(row: Record<string, unknown>, columns: readonly string[]): string | undefined {
  if (columns.length === 1) {
    const v = row[columns[0]];
    return v === null || v === undefined || v === '' ? undefined : keyPart(v);
  }
  const parts: string[] = [];
  for (const c of columns) {
    const v = row[c];
    if (v === null || v === undefined || v === '') return undefined;
    parts.push(keyPart(v));
  }
  return JSON.stringify(parts);
}

function keyPart(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
