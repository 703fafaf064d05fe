import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { countryCode, hashEmail, hashName, hashPhone, normalizeEmail, normalizePhone } from './normalize';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('Customer Match normalization and hashing', () => {
  it('emails: trimmed, lowercased, and gmail dots removed before hashing', () => {
    assert.equal(normalizeEmail('  Jane.Doe@Example.COM '), 'jane.doe@example.com');
    assert.equal(normalizeEmail('Jane.Doe@gmail.com'), 'janedoe@gmail.com');
    assert.equal(normalizeEmail('j.doe@googlemail.com'), 'jdoe@googlemail.com');
    assert.equal(hashEmail(' JaneDoe@example.com'), sha('janedoe@example.com'));
    // The SHA-256 of "test@gmail.com", hex, as any SHA-256 tool prints it.
    assert.equal(hashEmail('Test@GMAIL.com'), '87924606b4131a8aceeeae8868531fbb9712aaa07a5d3a756b26ce0f5d6ca674');
  });

  it('phones: E.164 with a default region, then hashed; invalid numbers are dropped', () => {
    assert.equal(normalizePhone('(202) 555-0143', 'US'), '+12025550143');
    assert.equal(normalizePhone('+44 20 7946 0958'), '+442079460958');
    assert.equal(hashPhone('202-555-0143', 'US'), sha('+12025550143'));
    assert.equal(hashPhone('not a phone', 'US'), undefined);
  });

  it('names: trimmed and lowercased; existing hashes pass through; country codes stay in clear', () => {
    assert.equal(hashName('  José '), sha('josé'));
    const h = sha('jane');
    assert.equal(hashName(h.toUpperCase()), h);
    assert.equal(countryCode(' de '), 'DE');
    assert.equal(countryCode('Germany'), undefined);
  });
});
