/**
 * The sObjects every test org starts with: Contact and Account with the standard fields ebb's
 * tests write, plus custom fields (`__c`) for an external id, a number, a unique code, and a
 * read-only formula-like field (`Name`, compound and not writable on Contact).
 */
import type { SfField } from './sobjects';

/** sObject name → key prefix and fields (Id, CreatedDate and LastModifiedDate are added). */
export const STANDARD_OBJECTS: Record<string, { keyPrefix: string; fields: SfField[] }> = {
  Contact: {
    keyPrefix: '003',
    fields: [
      { name: 'LastName', type: 'string', length: 80, nillable: false },
      { name: 'FirstName', type: 'string', length: 40 },
      { name: 'Email', type: 'email', length: 80, idLookup: true },
      { name: 'Title', type: 'string', length: 128 },
      { name: 'Birthdate', type: 'date' },
      { name: 'HasOptedOutOfEmail', type: 'boolean', nillable: false, defaultedOnCreate: true },
      { name: 'Ebb_Id__c', type: 'string', length: 64, externalId: true, unique: true },
      { name: 'Lifecycle__c', type: 'picklist', length: 40 },
      { name: 'Score__c', type: 'double' },
      { name: 'Employee_Code__c', type: 'string', length: 20, unique: true },
      { name: 'Name', type: 'string', length: 121, createable: false, updateable: false },
    ],
  },
  Account: {
    keyPrefix: '001',
    fields: [
      { name: 'Name', type: 'string', length: 255, nillable: false },
      { name: 'Ebb_Account_Id__c', type: 'string', length: 64, externalId: true, unique: true },
      { name: 'Industry', type: 'picklist', length: 40 },
      { name: 'NumberOfEmployees', type: 'int' },
    ],
  },
};
