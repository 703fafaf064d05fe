/**
 * Records to Customer Match members, the same for both APIs: identifiers from the mapped fields
 * `email`, `phone`, `first_name` + `last_name` + `country_code` + `postal_code` (an address),
 * normalized and hashed (./normalize.ts); consent from `ad_user_data` and `ad_personalization`.
 * A record with no usable identifier, or an EEA user without consent, is refused here and
 * never sent.
 */
import type { RecordWrite } from '../../types';
import { EEA_AND_COVERED } from './eea';
import { countryCode, hashEmail, hashName, hashPhone } from './normalize';

/** One member, hashed: what either API receives. */
export interface Member {
  seq: number;
  email?: string;
  phone?: string;
  address?: { givenName: string; familyName: string; countryCode: string; postalCode: string };
  consent: { adUserData?: 'GRANTED' | 'DENIED'; adPersonalization?: 'GRANTED' | 'DENIED' };
}

/** A member, or why the record cannot be one. */
export type MemberOrProblem = { member: Member } | { seq: number; problem: string };

/** The destination fields this connector understands. */
export const MEMBER_FIELDS = ['email', 'phone', 'first_name', 'last_name', 'country_code', 'postal_code', 'ad_user_data', 'ad_personalization'] as const;

/** Builds the member of one record; `removing` members need no consent. */
export function toMember(r: RecordWrite, opts: { phoneRegion?: string; removing: boolean }): MemberOrProblem {
  const f = r.fields;
  const country = countryCode(f.country_code);
  const member: Member = { seq: r.seq, consent: { adUserData: consent(f.ad_user_data), adPersonalization: consent(f.ad_personalization) } };
  member.email = hashEmail(f.email);
  member.phone = hashPhone(f.phone, country ?? opts.phoneRegion);
  const given = hashName(f.first_name);
  const family = hashName(f.last_name);
  const postal = f.postal_code === null || f.postal_code === undefined ? '' : String(f.postal_code).trim();
  if (given && family && country && postal) member.address = { givenName: given, familyName: family, countryCode: country, postalCode: postal };
  if (!member.email && !member.phone && !member.address) {
    return { seq: r.seq, problem: 'no usable identifier: map email, phone, or first_name + last_name + country_code + postal_code' };
  }
  if (!opts.removing && country && EEA_AND_COVERED.has(country) && member.consent.adUserData === undefined) {
    return { seq: r.seq, problem: `consent is required for users in the EEA (${country}): map ad_user_data (and ad_personalization) from the model` };
  }
  return { member };
}

/** GRANTED / DENIED from the model's value (booleans, GRANTED/DENIED, CONSENT_GRANTED…); undefined when absent. */
function consent(v: unknown): 'GRANTED' | 'DENIED' | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (v === true) return 'GRANTED';
  if (v === false) return 'DENIED';
  const s = String(v).trim().toUpperCase().replace(/^CONSENT_/, '');
  if (['GRANTED', 'TRUE', 'YES', '1'].includes(s)) return 'GRANTED';
  if (['DENIED', 'FALSE', 'NO', '0'].includes(s)) return 'DENIED';
  return undefined;
}
