import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectDescription } from '../connectors/types';
import { checkDestinationFit } from './destination-fit';

const contact: ObjectDescription = {
  object: 'Contact',
  fields: [
    { name: 'Ext_Id__c', type: 'string', identifier: true },
    { name: 'Email', type: 'email' },
    { name: 'LastName', type: 'string', required: true },
    { name: 'CreatedDate', type: 'datetime', createable: false, updateable: false },
    { name: 'Legacy_Code__c', type: 'string', updateable: false },
    { name: 'Phone', type: 'phone' },
  ],
};
const dest = (mapping: Record<string, string>, mode: 'upsert' | 'update' | 'insert' | 'mirror' = 'upsert') => ({ object: 'Contact', mode, mapping, provenance: undefined });

describe('checkDestinationFit', () => {
  it('accepts a mapping whose fields exist and can be written', () => {
    assert.deepEqual(checkDestinationFit(dest({ Ext_Id__c: 'id', Email: 'email', LastName: 'name' }), 'Ext_Id__c', contact), []);
  });

  it('names a field the object lacks, with a case-insensitive near match', () => {
    const issues = checkDestinationFit(dest({ Ext_Id__c: 'id', email: 'email', LastName: 'n', Fax: 'f' }), 'Ext_Id__c', contact);
    assert.deepEqual(issues, [
      { path: 'mapping.email', message: 'Contact has no field "email" (did you mean "Email"?)' },
      { path: 'mapping.Fax', message: 'Contact has no field "Fax"' },
    ]);
  });

  it('refuses read-only fields for the operations the mode sends', () => {
    const upsert = checkDestinationFit(dest({ Ext_Id__c: 'id', LastName: 'n', CreatedDate: 'c', Legacy_Code__c: 'l' }), 'Ext_Id__c', contact);
    assert.deepEqual(
      upsert.map((i) => i.path),
      ['mapping.CreatedDate', 'mapping.CreatedDate', 'mapping.Legacy_Code__c'],
    );
    assert.match(upsert[0].message, /not createable/);
    assert.match(upsert[2].message, /not updateable.*or use mode "insert"/);
    // insert-only never updates: a create-only field is fine there
    assert.deepEqual(checkDestinationFit(dest({ Ext_Id__c: 'id', LastName: 'n', Legacy_Code__c: 'l' }, 'insert'), 'Ext_Id__c', contact), []);
  });

  it('refuses an identity field that cannot identify records, listing the ones that can', () => {
    const issues = checkDestinationFit(dest({ Email: 'email', LastName: 'n' }), 'Email', { object: 'Contact', fields: contact.fields.map((f) => (f.name === 'Email' ? { ...f, identifier: false } : f)) });
    assert.deepEqual(issues, [{ path: 'idField', message: 'Contact.Email cannot identify records (not a unique or external id field); pick one of: Ext_Id__c' }]);
  });

  it('names a required field the mapping leaves unset on create, but not in update mode', () => {
    assert.deepEqual(checkDestinationFit(dest({ Ext_Id__c: 'id', Email: 'e' }), 'Ext_Id__c', contact), [
      { path: 'mapping', message: 'Contact.LastName is required on create and the mapping does not set it' },
    ]);
    assert.deepEqual(checkDestinationFit(dest({ Ext_Id__c: 'id', Email: 'e' }, 'update'), 'Ext_Id__c', contact), []);
  });

  it('checks provenance fields like mapped ones', () => {
    const issues = checkDestinationFit({ ...dest({ Ext_Id__c: 'id', LastName: 'n' }), provenance: { runId: 'Ebb_Run__c' } }, 'Ext_Id__c', contact);
    assert.deepEqual(issues, [{ path: 'provenance.runId', message: 'Contact has no field "Ebb_Run__c"' }]);
  });

  it('has nothing to check against a schemaless destination', () => {
    assert.deepEqual(checkDestinationFit(dest({ anything: 'x' }), 'anything', { object: 'hook', fields: [] }), []);
  });
});

describe('destination fit with identity precedence', () => {
  it('checks every matchOn identifier can identify records', () => {
    const desc = { object: 'contacts', fields: [{ name: 'crm_id', type: 'text', identifier: true }, { name: 'email', type: 'text', identifier: false }, { name: 'stage', type: 'text' }] };
    const issues = checkDestinationFit({ object: 'contacts', mode: 'upsert', mapping: { crm_id: 'id', email: 'email', stage: 'stage' }, matchOn: ['crm_id', 'email'] }, 'crm_id', desc);
    assert.deepEqual(issues.map((i) => i.path), ['matchOn.1']);
    assert.match(issues[0].message, /contacts\.email cannot identify records/);
  });
});
