import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact } from './redacting-logger';

describe('log redaction', () => {
  it('removes emails, phone numbers and credentials, and keeps the rest of the message', () => {
    assert.equal(redact('row person.42@example.com rejected: bad'), 'row <email> rejected: bad');
    assert.equal(redact('call +44 20 7946 0958 now'), 'call <phone> now');
    assert.equal(redact('connect postgres://ebb:hunter2@db:5432/x failed'), 'connect postgres://ebb:<secret>@db:5432/x failed');
    assert.equal(redact('Authorization: Bearer abc.def.ghi'), 'Authorization: Bearer <secret>');
    assert.equal(redact('sync=crm step=apply chunk 12 of 200'), 'sync=crm step=apply chunk 12 of 200');
  });
});
