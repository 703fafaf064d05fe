import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_HEAP_MB, heapCapMb } from './heap-cap';

describe('worker heap cap', () => {
  test('no cap by default; EBB_WORKER_HEAP_MB sets one', () => {
    assert.equal(DEFAULT_HEAP_MB, 0);
    assert.equal(heapCapMb({}, []), undefined);
    assert.equal(heapCapMb({ EBB_WORKER_HEAP_MB: '512' }, []), 512);
  });

  test("leaves the operator's own limit alone, and 0 means V8's default", () => {
    assert.equal(heapCapMb({}, ['--max-old-space-size=1024']), undefined);
    assert.equal(heapCapMb({ NODE_OPTIONS: '--enable-source-maps --max-old-space-size=1024' }, []), undefined);
    assert.equal(heapCapMb({ EBB_WORKER_HEAP_MB: '0' }, []), undefined);
  });

  test('refuses a cap that is not a whole number of MB, naming the variable', () => {
    assert.throws(() => heapCapMb({ EBB_WORKER_HEAP_MB: '1GB' }, []), /EBB_WORKER_HEAP_MB/);
  });
});
