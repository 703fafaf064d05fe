import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suggestMapping } from './suggest-mapping';

const columns = [
  { name: 'customer_id', type: 'BIGINT' },
  { name: 'email_address', type: 'VARCHAR' },
  { name: 'mobile', type: 'VARCHAR' },
  { name: 'given_name', type: 'VARCHAR' },
  { name: 'last_name', type: 'VARCHAR' },
  { name: 'lifecycle_stage', type: 'VARCHAR' },
  { name: 'signed_up_at', type: 'TIMESTAMP' },
  { name: 'internal_notes', type: 'VARCHAR' },
];
const salesforceContact = [
  { name: 'Ebb_Customer_Id__c', type: 'string', identifier: true },
  { name: 'Email', type: 'email' },
  { name: 'MobilePhone', type: 'phone' },
  { name: 'FirstName', type: 'string' },
  { name: 'LastName', type: 'string', required: true },
  { name: 'Lifecycle_Stage__c', type: 'picklist' },
  { name: 'Signed_Up_At__c', type: 'date' },
  { name: 'Fax', type: 'phone' },
];

describe('suggestMapping', () => {
  const p = suggestMapping(columns, salesforceContact, { primaryKey: ['customer_id'] });
  const by = Object.fromEntries(p.suggestions.map((s) => [s.field, s]));

  it('matches exact names across naming styles with full confidence', () => {
    assert.equal(by.LastName.column, 'last_name');
    assert.equal(by.LastName.confidence, 1);
    assert.equal(by.Lifecycle_Stage__c.column, 'lifecycle_stage');
  });

  it('matches synonyms, with the normalisation the field type calls for', () => {
    assert.deepEqual([by.Email.column, by.Email.confidence, by.Email.transform], ['email_address', 0.9, ['trim', 'lowercase']]);
    assert.deepEqual([by.MobilePhone.column, by.MobilePhone.transform], ['mobile', ['e164']]);
    assert.equal(by.FirstName.column, 'given_name');
  });

  it('feeds a date field from a timestamp with format date, at a lower confidence', () => {
    assert.equal(by.Signed_Up_At__c.column, 'signed_up_at');
    assert.equal(by.Signed_Up_At__c.format, 'date');
    assert.ok(by.Signed_Up_At__c.confidence < 1);
  });

  it('offers the primary key to the identifier, and leaves the rest unmatched', () => {
    assert.equal(by.Ebb_Customer_Id__c.column, 'customer_id');
    assert.deepEqual(p.unmatchedFields, [{ name: 'Fax', required: false }]);
    assert.deepEqual(p.unmatchedColumns, ['internal_notes']);
  });

  it('uses each column once, best match first', () => {
    const q = suggestMapping([{ name: 'email', type: 'text' }], [{ name: 'Email', type: 'email' }, { name: 'email_address', type: 'string' }]);
    assert.deepEqual(q.suggestions.map((s) => [s.field, s.column]), [['Email', 'email']]);
  });

  it('catches a near spelling, and refuses a type that cannot fit', () => {
    assert.equal(suggestMapping([{ name: 'emial', type: 'text' }], [{ name: 'email', type: 'string' }]).suggestions[0]?.column, 'emial');
    assert.deepEqual(suggestMapping([{ name: 'score', type: 'BOOLEAN' }], [{ name: 'score', type: 'date' }]).suggestions, []);
  });

  it('is deterministic', () => {
    assert.deepEqual(suggestMapping(columns, salesforceContact, { primaryKey: ['customer_id'] }), p);
  });
});
