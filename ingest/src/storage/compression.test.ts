import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compressionFor } from './compression.js';

describe('compressionFor', () => {
  it('names FSST and dictionary before format v1.3 (DuckDB refuses them for new data from v1.3), ZSTD and DICT_FSST from v1.3', () => {
    for (const v of ['v0.10.2+', 'v1.0.0+', 'v1.2.0+']) {
      assert.deepEqual(compressionFor(v), { text: 'fsst', repeated: 'dictionary', unique: 'uncompressed' }, v);
    }
    for (const v of ['v1.3.0+', 'v1.4.0+', 'v1.5.0+', 'v2.0.0']) {
      assert.deepEqual(compressionFor(v), { text: 'zstd', repeated: 'dict_fsst', unique: 'uncompressed' }, v);
    }
    assert.throws(() => compressionFor('latest'), /unknown DuckDB storage version "latest"/);
  });
});
