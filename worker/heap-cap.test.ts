import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_HEAP_GROWTH_PERCENT, DEFAULT_HEAP_MB, DEFAULT_SEMI_SPACE_MB, heapCapMb, heapFlags, heapGrowthPercent } from './heap-cap';

describe('worker heap flags', () => {
  test('by default a heap growing factor and no cap; EBB_WORKER_HEAP_MB adds a cap', () => {
    assert.equal(DEFAULT_HEAP_MB, 0);
    assert.equal(DEFAULT_HEAP_GROWTH_PERCENT, 20);
    assert.equal(DEFAULT_SEMI_SPACE_MB, 16);
    assert.deepEqual(heapFlags({}, []), ['--heap-growing-percent=20', '--max-semi-space-size=16']);
    assert.equal(heapCapMb({}, []), undefined);
    assert.equal(heapCapMb({ EBB_WORKER_HEAP_MB: '512' }, []), 512);
    assert.deepEqual(heapFlags({ EBB_WORKER_HEAP_MB: '512', EBB_WORKER_HEAP_GROWTH: '50', EBB_WORKER_SEMI_SPACE_MB: '32' }, []), [
      '--max-old-space-size=512',
      '--heap-growing-percent=50',
      '--max-semi-space-size=32',
    ]);
  });

  test("leaves the operator's own flags alone, and 0 means V8's default", () => {
    assert.equal(heapCapMb({}, ['--max-old-space-size=1024']), undefined);
    assert.equal(heapCapMb({ NODE_OPTIONS: '--enable-source-maps --max-old-space-size=1024' }, []), undefined);
    assert.equal(heapCapMb({ EBB_WORKER_HEAP_MB: '0' }, []), undefined);
    assert.equal(heapGrowthPercent({}, ['--heap_growing_percent=30']), undefined);
    assert.equal(heapGrowthPercent({ EBB_WORKER_HEAP_GROWTH: '0' }, []), undefined);
    assert.deepEqual(heapFlags({ EBB_WORKER_HEAP_GROWTH: '0', EBB_WORKER_SEMI_SPACE_MB: '0' }, []), []);
    assert.deepEqual(heapFlags({ NODE_OPTIONS: '--max-semi-space-size=8' }, []), ['--heap-growing-percent=20']);
  });

  test('refuses a value that is not a whole number, naming the variable', () => {
    assert.throws(() => heapCapMb({ EBB_WORKER_HEAP_MB: '1GB' }, []), /EBB_WORKER_HEAP_MB/);
    assert.throws(() => heapGrowthPercent({ EBB_WORKER_HEAP_GROWTH: '1.5' }, []), /EBB_WORKER_HEAP_GROWTH/);
  });
});
