import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  findReleaseWithHash,
  isReleaseId,
  releaseHash,
  releaseId,
  releasesToPrune,
} from '../../../src/deploy/releases.ts';

const sha = '1a2b3c4d5e6f' + '0'.repeat(52);

test('a release id is the UTC time then 16 hex digits of the artifact hash; ids sort by time', () => {
  assert.equal(releaseId(new Date('2026-11-25T20:49:03.123Z'), sha), '20261125T204903Z-1a2b3c4d5e6f0000');
  assert.equal(isReleaseId('20261125T204903Z-1a2b3c4d5e6f0000'), true);
  assert.equal(isReleaseId('20261125T204903Z-1a2b3c4d'), true, 'ids of older releases (8 digits) are still releases');
  assert.equal(isReleaseId('20261125T204903Z-1a2b3c4d.partial'), false);
  assert.equal(releaseHash('20261125T204903Z-1a2b3c4d5e6f0000'), '1a2b3c4d5e6f0000');
});

test('an existing release with the same content is found (newest first), on 64 bits of its hash, never 32', () => {
  const entries = [
    '20261101T000000Z-1a2b3c4d5e6f0000',
    '20261102T000000Z-ffffffffffffffff',
    '20261103T000000Z-1a2b3c4d5e6f0000',
    '20261104T000000Z-1a2b3c4d5e6f0000.partial',
    '20261105T000000Z-1a2b3c4d',
    '20261106T000000Z-1a2b3c4dffffffff',
  ];
  assert.equal(findReleaseWithHash(entries, sha), '20261103T000000Z-1a2b3c4d5e6f0000');
  assert.equal(findReleaseWithHash(entries, 'abcdef' + '0'.repeat(58)), undefined);
  // An older release named with 8 digits only may hold other content with the same prefix: never reused.
  assert.equal(findReleaseWithHash(['20261105T000000Z-1a2b3c4d'], sha), undefined);
});

test('pruning keeps the newest N, current and protected ones, and removes interrupted stages', () => {
  const entries = [
    '20261101T000000Z-aaaaaaaa',
    '20261102T000000Z-bbbbbbbb',
    '20261103T000000Z-cccccccc',
    '20261104T000000Z-dddddddd',
    '20261105T000000Z-eeeeeeee.partial',
  ];
  assert.deepEqual(releasesToPrune(entries, '20261104T000000Z-dddddddd', 2), [
    '20261101T000000Z-aaaaaaaa',
    '20261102T000000Z-bbbbbbbb',
    '20261105T000000Z-eeeeeeee.partial',
  ]);
  assert.deepEqual(releasesToPrune(entries, '20261101T000000Z-aaaaaaaa', 1, ['20261102T000000Z-bbbbbbbb']), [
    '20261103T000000Z-cccccccc',
    '20261105T000000Z-eeeeeeee.partial',
  ]);
  assert.deepEqual(releasesToPrune(['20261101T000000Z-aaaaaaaa'], '20261101T000000Z-aaaaaaaa', 5), []);
});

test('with a deploy record, releases never live go first and do not count; the most recently live are kept', () => {
  const [a, b, c, d, failed] = [
    '20261101T000000Z-aaaaaaaa',
    '20261102T000000Z-bbbbbbbb',
    '20261103T000000Z-cccccccc',
    '20261104T000000Z-dddddddd',
    '20261105T000000Z-ffffffff',
  ];
  // Live (verified) most recent first: a was redeployed after c, so it is more recent than its id says.
  const live = [d, a, c, b];
  assert.deepEqual(releasesToPrune([a, b, c, d, failed], d, 3, [], live), [b, failed].sort());
  assert.deepEqual(releasesToPrune([a, b, c, d, failed], d, 2, [c], live), [b, failed].sort());
});

test('a release left with a staging marker (cut off in afterUpload) is never reused, and is pruned with its marker', () => {
  const unfinished = '20261103T000000Z-1a2b3c4d5e6f0000';
  const entries = ['20261101T000000Z-1a2b3c4d5e6f0000', unfinished, `${unfinished}.staging`];
  assert.equal(findReleaseWithHash(entries, sha), '20261101T000000Z-1a2b3c4d5e6f0000', 'the finished one');
  assert.equal(findReleaseWithHash([unfinished, `${unfinished}.staging`], sha), undefined);
  assert.deepEqual(releasesToPrune(entries, '20261101T000000Z-1a2b3c4d5e6f0000', 5), [
    unfinished,
    `${unfinished}.staging`,
  ]);
  // The release being staged now (protected by the caller) keeps its marker until its hook ends.
  assert.deepEqual(releasesToPrune(entries, '20261101T000000Z-1a2b3c4d5e6f0000', 5, [unfinished]), []);
});
