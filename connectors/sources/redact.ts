/**
 * Error-message hygiene for SQL sources: engines quote the offending value in data errors
 * (`invalid input syntax for type integer: "abc"`), and ebb's messages never carry row values.
 */

/** Blanks quoted text and standalone numbers, keeping the shape of the message. */
export function redactValues(message: string): string {
  return message
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/"(?:[^"\\]|""|\\.)*"/g, '"…"')
    .replace(/(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])/gi, '…');
}
