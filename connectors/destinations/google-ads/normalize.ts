/**
 * Customer Match identifiers, normalized and hashed exactly as Google specifies: the value is
 * normalized, then SHA-256 hashed and hex-encoded (lowercase). Values that already are a
 * 64-hex-digit hash pass through (lowercased), so a model can hash in the warehouse.
 *   - email: trimmed and lowercased; for gmail.com and googlemail.com, the dots before the @ go.
 *   - phone: E.164 (+ and country code), with a default region for national numbers.
 *   - first and last names: trimmed and lowercased.
 *   - country (ISO-3166-1 alpha-2) and postal code: sent in clear, never hashed.
 */
import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** SHA-256, hex, lowercase. */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Hashes a normalized value, or passes an existing hash through; undefined for empty values. */
function hashed(value: unknown, normalize: (s: string) => string | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const s = String(value).trim();
  if (s === '') return undefined;
  if (HEX64.test(s)) return s.toLowerCase();
  const n = normalize(s);
  return n === undefined || n === '' ? undefined : sha256Hex(n);
}

/** Google's email normalization (see the module comment). */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  const at = email.lastIndexOf('@');
  if (at < 0) return email;
  const [local, domain] = [email.slice(0, at), email.slice(at + 1)];
  return domain === 'gmail.com' || domain === 'googlemail.com' ? `${local.replace(/\./g, '')}@${domain}` : email;
}

/** E.164, or undefined when the number is not valid for `region`. */
export function normalizePhone(raw: string, region?: string): string | undefined {
  const parsed = parsePhoneNumberFromString(raw.trim(), region as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** Names: trimmed and lowercased. */
export function normalizeName(raw: string): string {
  return raw.trim().toLowerCase();
}

/** The hashed email, or undefined. */
export const hashEmail = (v: unknown) => hashed(v, normalizeEmail);
/** The hashed E.164 phone, or undefined when missing or not a valid number. */
export const hashPhone = (v: unknown, region?: string) => hashed(v, (s) => normalizePhone(s, region));
/** The hashed name, or undefined. */
export const hashName = (v: unknown) => hashed(v, normalizeName);

/** A country code in clear: two uppercase letters, or undefined. */
export function countryCode(v: unknown): string | undefined {
  const s = v === null || v === undefined ? '' : String(v).trim().toUpperCase();
  return /^[A-Z]{2}$/.test(s) ? s : undefined;
}
