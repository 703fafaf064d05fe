import assert from 'node:assert/strict';
import { test } from 'node:test';

test('loading the registry does not load the heavy SaaS client libraries (they load on first use)', async () => {
  await import('./registry.js');
  // google-ads-api alone is ~200 MB resident: a worker without such a destination must not pay for it.
  const loaded = Object.keys(require.cache);
  for (const lib of ['google-ads-api', 'google-ads-node', '@google-ads/datamanager', 'snowflake-sdk', 'jsforce', '@hubspot/api-client']) {
    assert.ok(!loaded.some((f) => f.includes(`/node_modules/${lib}/`)), `${lib} was loaded with the registry`);
  }
});
