import type { ColumnInfo, FieldInfo } from '../connectors/types';
import type { TransformName } from './spec/schema';

/** One proposed field mapping, with how sure the matcher is and why. */
export interface MappingSuggestion {
  field: string;
  column: string;
  /** 0..1: name similarity times type compatibility. */
  confidence: number;
  reason: string;
  /** Normalisation the destination field's type calls for (e.g. e164 for phones). */
  transform?: TransformName[];
  /** For date fields fed by timestamps. */
  format?: 'date';
}

/** What {@link suggestMapping} proposes. */
export interface MappingProposal {
  suggestions: MappingSuggestion[];
  /** Destination fields nothing matched; `required` ones need a mapping before creates work. */
  unmatchedFields: { name: string; required: boolean }[];
  unmatchedColumns: string[];
}

/** Words that name the same thing across warehouses and tools; the first is the concept. */
const SYNONYMS: readonly (readonly string[])[] = [
  ['email', 'emailaddress', 'mail', 'workemail', 'primaryemail'],
  ['phone', 'phonenumber', 'mobile', 'mobilephone', 'mobilenumber', 'telephone', 'tel', 'cellphone'],
  ['firstname', 'givenname', 'fname', 'forename'],
  ['lastname', 'surname', 'familyname', 'lname'],
  ['company', 'companyname', 'accountname', 'organization', 'organisation', 'org', 'employer'],
  ['country', 'countrycode', 'billingcountry', 'mailingcountry'],
  ['postalcode', 'zip', 'zipcode', 'postcode', 'mailingpostalcode'],
  ['city', 'town', 'mailingcity', 'billingcity'],
  ['state', 'region', 'province', 'mailingstate'],
  ['lifecyclestage', 'stage', 'lifecycle'],
  ['score', 'leadscore', 'hubspotscore'],
  ['title', 'jobtitle', 'position'],
  ['website', 'domain', 'url', 'companydomain'],
];
const CONCEPT = new Map(SYNONYMS.flatMap((group) => group.map((w) => [w, group[0]] as const)));

/** Words that say a column is a moment, not what the moment is. */
const TIME_WORDS = new Set(['at', 'on', 'date', 'time', 'ts', 'timestamp', 'dt']);

/** `MobilePhone`, `mobile_phone__c`, `mobile-phone` → tokens `mobile`, `phone`. */
function tokens(name: string): string[] {
  return name
    .replace(/__c$/i, '') // Salesforce custom-field suffix
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

type TypeClass = 'text' | 'number' | 'boolean' | 'time' | 'date' | 'unknown';

function typeClass(type: string): TypeClass {
  const t = type.toLowerCase();
  if (/bool/.test(t)) return 'boolean';
  if (/^date$|^date\b/.test(t)) return 'date';
  if (/time|datetime/.test(t)) return 'time';
  if (/int|double|float|decimal|numeric|number|real|currency|percent/.test(t)) return 'number';
  if (/char|text|string|email|phone|picklist|url|enumeration|id|reference|textarea|varchar/.test(t)) return 'text';
  return 'unknown';
}

/** How well a column's type feeds a field's: 1 fits, lower when a cast is needed, 0 when it cannot. */
function typeFit(column: TypeClass, field: TypeClass): number {
  if (column === 'unknown' || field === 'unknown' || column === field) return 1;
  if (field === 'text') return 0.9; // anything can be written as text
  if (field === 'date' && column === 'time') return 0.9; // with format: date
  if (field === 'time' && column === 'date') return 0.9;
  if (column === 'text') return 0.6; // a text column may hold numbers or dates: plausible, unsure
  return 0.3;
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), for `emial`. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function nameScore(column: string, field: string): { score: number; reason: string } {
  const ct = tokens(column);
  const ft = tokens(field);
  const ck = ct.join('');
  const fk = ft.join('');
  if (ck === fk) return { score: 1, reason: 'same name' };
  const cc = CONCEPT.get(ck);
  if (cc !== undefined && cc === CONCEPT.get(fk)) return { score: 0.9, reason: `both name ${cc}` };
  const cs = new Set(ct);
  const shared = ft.filter((t) => cs.has(t)).length;
  const jaccard = shared / new Set([...ct, ...ft]).size;
  const near = 1 - distance(ck, fk) / Math.max(ck.length, fk.length);
  if (jaccard >= 0.5) return { score: 0.5 + 0.35 * jaccard, reason: `shares ${shared} of ${new Set([...ct, ...ft]).size} words` };
  if (near >= 0.75) return { score: 0.8 * near, reason: 'nearly the same name' };
  // `signed_up_at` and `signup_date` name the same moment: compare without the time words
  const cs2 = ct.filter((t) => !TIME_WORDS.has(t)).join('');
  const fs2 = ft.filter((t) => !TIME_WORDS.has(t)).join('');
  if (cs2 && fs2 && (cs2 !== ck || fs2 !== fk)) {
    const nearStem = 1 - distance(cs2, fs2) / Math.max(cs2.length, fs2.length);
    if (nearStem >= 0.75) return { score: 0.8 * nearStem, reason: 'the same name but for date words' };
  }
  return { score: 0, reason: '' };
}

/** Normalisation a destination field's type asks for. */
function transformFor(field: FieldInfo, concept: string | undefined): TransformName[] | undefined {
  const t = field.type.toLowerCase();
  if (t === 'email' || concept === 'email') return ['trim', 'lowercase'];
  if (t === 'phone' || concept === 'phone') return ['e164'];
  return undefined;
}

/**
 * Proposes a mapping from model columns to a destination's fields, by name (exact, known
 * synonyms, shared words, near spellings) and type compatibility, with a confidence for each.
 * No network model: the same inputs always give the same proposal, so it can be reviewed and
 * committed as code. Each field and each column is used at most once, best matches first; the
 * model's primary key is offered to the destination's identifier when names don't match.
 */
export function suggestMapping(columns: readonly ColumnInfo[], fields: readonly FieldInfo[], o: { primaryKey?: readonly string[]; minConfidence?: number } = {}): MappingProposal {
  const min = o.minConfidence ?? 0.5;
  const candidates: MappingSuggestion[] = [];
  for (const f of fields) {
    for (const c of columns) {
      const { score, reason } = nameScore(c.name, f.name);
      if (score === 0) continue;
      const fit = typeFit(typeClass(c.type), typeClass(f.type));
      const confidence = Math.round(score * fit * 100) / 100;
      if (confidence < min) continue;
      const concept = CONCEPT.get(tokens(f.name).join(''));
      const dateFromTime = typeClass(f.type) === 'date' && typeClass(c.type) === 'time';
      candidates.push({
        field: f.name,
        column: c.name,
        confidence,
        reason: fit < 1 ? `${reason}; ${c.type} into ${f.type}` : reason,
        ...(transformFor(f, concept) ? { transform: transformFor(f, concept) } : {}),
        ...(dateFromTime ? { format: 'date' as const } : {}),
      });
    }
  }
  candidates.sort((a, b) => b.confidence - a.confidence || a.field.localeCompare(b.field) || a.column.localeCompare(b.column));
  const usedFields = new Set<string>();
  const usedColumns = new Set<string>();
  const suggestions: MappingSuggestion[] = [];
  for (const s of candidates) {
    if (usedFields.has(s.field) || usedColumns.has(s.column)) continue;
    suggestions.push(s);
    usedFields.add(s.field);
    usedColumns.add(s.column);
  }
  // The key identifies rows; offer it to an identifier field nothing else claimed.
  const key = o.primaryKey?.length === 1 ? o.primaryKey[0] : undefined;
  const idField = fields.find((f) => f.identifier && !usedFields.has(f.name));
  if (key && !usedColumns.has(key) && idField) {
    suggestions.push({ field: idField.name, column: key, confidence: 0.6, reason: 'the model\'s primary key to the object\'s identifier' });
    usedFields.add(idField.name);
    usedColumns.add(key);
  }
  return {
    suggestions: suggestions.sort((a, b) => a.field.localeCompare(b.field)),
    unmatchedFields: fields.filter((f) => !usedFields.has(f.name)).map((f) => ({ name: f.name, required: f.required === true })),
    unmatchedColumns: columns.filter((c) => !usedColumns.has(c.name)).map((c) => c.name),
  };
}
