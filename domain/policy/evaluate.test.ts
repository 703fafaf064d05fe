import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileConsent, consentOf, policyColumns, policyVersion, purposesOf } from './evaluate';
import { policySchema, type PolicyInput } from './schema';

const input: PolicyInput = {
  purposes: { advertising: { consentColumn: 'ads_consent' }, sales: { consentColumn: 'sales_consent' } },
  destinations: [
    { match: { kind: 'google_ads' }, purposes: ['advertising'] },
    { match: { sync: 'crm-sync', name: 'crm' }, purposes: ['sales'] },
  ],
  regions: { column: 'country', rules: [{ regions: ['EEA'], purposes: ['advertising'], require: 'explicit' }, { regions: ['US'], purposes: ['sales'], require: 'none' }] },
};
const policy = policySchema.parse(input);
const ads = { sync: 'audiences', name: 'suppression', kind: 'google_ads' };
const crm = { sync: 'crm-sync', name: 'crm', kind: 'hubspot' };

describe('consent policy', () => {
  it('reads consent values the way warehouses store them', () => {
    for (const v of [true, 1, 'yes', 'GRANTED', 'opt_in']) assert.equal(consentOf(v), 'granted', String(v));
    for (const v of [false, 0, 'no', 'Denied', 'opt-out']) assert.equal(consentOf(v), 'denied', String(v));
    for (const v of [null, undefined, '', 'maybe', 2]) assert.equal(consentOf(v), 'unknown', String(v));
  });

  it('finds the purposes a destination serves by sync, name and kind', () => {
    assert.deepEqual(purposesOf(policy, ads), ['advertising']);
    assert.deepEqual(purposesOf(policy, crm), ['sales']);
    assert.deepEqual(purposesOf(policy, { sync: 'other', name: 'crm', kind: 'hubspot' }), []);
    assert.deepEqual(policyColumns(policy, ads), ['ads_consent', 'country']);
  });

  it('needs explicit advertising consent in the EEA, and only no denial elsewhere', () => {
    const check = compileConsent(policy, ads)!;
    assert.equal(check({ country: 'DE', ads_consent: true }), undefined);
    assert.equal(check({ country: 'DE', ads_consent: null }), 'consent:advertising:missing');
    assert.equal(check({ country: 'no', ads_consent: null }), 'consent:advertising:missing', 'Norway is in the EEA, whatever the case');
    assert.equal(check({ country: 'US', ads_consent: null }), undefined);
    assert.equal(check({ country: 'US', ads_consent: 'no' }), 'consent:advertising:denied');
  });

  it('takes the safe side for rows without a usable country', () => {
    const check = compileConsent(policy, ads)!;
    assert.equal(check({ country: null, ads_consent: null }), 'consent:advertising:missing');
    assert.equal(check({ country: 'Germany', ads_consent: 'yes' }), undefined);
  });

  it('lets a region waive a purpose\'s consent', () => {
    const check = compileConsent(policy, crm)!;
    assert.equal(check({ country: 'US', sales_consent: false }), undefined, 'US sales: none required');
    assert.equal(check({ country: 'FR', sales_consent: false }), 'consent:sales:denied');
  });

  it('suppresses nothing for destinations that serve no purpose', () => {
    assert.equal(compileConsent(policy, { sync: 'x', name: 'y', kind: 'webhook' }), undefined);
  });

  it('versions the policy by content', () => {
    assert.equal(policyVersion(policy), policyVersion(policySchema.parse(structuredClone(input))));
    assert.notEqual(policyVersion(policy), policyVersion(policySchema.parse({ ...input, default: 'explicit' })));
  });

  it('refuses a malformed policy with paths', () => {
    const r = policySchema.safeParse({ purposes: { marketing: { consentColumn: 'c' } }, destinations: [{ match: {}, purposes: ['advertising'] }] });
    assert.equal(r.success, false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    assert.ok(paths.includes('destinations.0.match'), paths.join(' '));
  });
});
