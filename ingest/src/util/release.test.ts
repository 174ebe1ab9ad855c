import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releaseBuffer } from './release.js';

describe('releaseBuffer', () => {
  it('detaches a buffer that owns its whole ArrayBuffer: every view of it reads empty', () => {
    const b = Buffer.allocUnsafe(1 << 20).fill(7);
    const view = b.subarray(10, 20);
    assert.equal(releaseBuffer(b), true);
    assert.equal(b.byteLength, 0);
    assert.equal(b.buffer.byteLength, 0);
    assert.equal(view.byteLength, 0);
    assert.equal(view[0], undefined);
  });

  it('leaves a view of part of a buffer, a pooled small buffer and a small buffer alone', () => {
    const big = Buffer.alloc(1 << 20, 1);
    const part = big.subarray(0, 1 << 19);
    assert.equal(releaseBuffer(part), false);
    assert.equal(big.byteLength, 1 << 20);
    assert.equal(part[0], 1);

    const pooled = Buffer.from('abc');
    assert.equal(releaseBuffer(pooled), false);
    assert.equal(pooled.toString(), 'abc');

    const small = Buffer.alloc(1024, 2);
    assert.equal(releaseBuffer(small), false);
    assert.equal(small[0], 2);
  });

  it('leaves a view of a SharedArrayBuffer alone', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(1 << 20));
    assert.equal(releaseBuffer(shared), false);
    assert.equal(shared.byteLength, 1 << 20);
  });
});
