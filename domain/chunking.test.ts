import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkCount, chunkOfSeq, chunkSeqRange, sliceChunks } from './chunking';

describe('chunk arithmetic', () => {
  it('covers 1..total exactly once with dense seq ranges', () => {
    const total = 1_003;
    const size = 100;
    const seen: number[] = [];
    for (let i = 0; i < chunkCount(total, size); i++) {
      const { seqFrom, seqTo } = chunkSeqRange(i, size, total);
      for (let s = seqFrom; s <= seqTo; s++) {
        seen.push(s);
        assert.equal(chunkOfSeq(s, size), i);
      }
    }
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i + 1));
  });

  it('slices chunks into whole-chunk groups of about rowsPerSlice rows', () => {
    assert.deepEqual(sliceChunks(10, 500, 2_000), [
      { from: 0, to: 4 },
      { from: 4, to: 8 },
      { from: 8, to: 10 },
    ]);
    assert.deepEqual(sliceChunks(3, 5_000, 1_000), [{ from: 0, to: 1 }, { from: 1, to: 2 }, { from: 2, to: 3 }]);
    assert.deepEqual(sliceChunks(0, 500, 2_000), []);
  });
});
