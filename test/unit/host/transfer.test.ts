import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uploadChunkBytes, uploadChunksPerHost } from '../../../src/host/transfer.ts';

test('one host gets the full 2 MB window', () => {
  assert.equal(uploadChunksPerHost(1) * uploadChunkBytes, 2 * 1024 * 1024);
});

test('the total in flight stays within 32 MB from 16 hosts up, and each host keeps at least 4 chunks', () => {
  for (const hosts of [16, 50, 100, 200, 256]) {
    assert.ok(uploadChunksPerHost(hosts) * hosts * uploadChunkBytes <= 32 * 1024 * 1024, `${hosts} hosts`);
  }
  assert.equal(uploadChunksPerHost(200), 5);
  assert.equal(uploadChunksPerHost(5000), 4);
  assert.equal(uploadChunksPerHost(0), 64);
});
