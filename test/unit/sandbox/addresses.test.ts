import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIPv4, parseIPv4, sandboxAddresses } from '../../../src/sandbox/addresses.ts';

test('consecutive addresses from the first one', () => {
  assert.deepEqual(sandboxAddresses('127.0.1.1', 3), ['127.0.1.1', '127.0.1.2', '127.0.1.3']);
});

test('.255 and .0 are skipped when a range crosses a /24', () => {
  assert.deepEqual(sandboxAddresses('127.0.1.253', 4), ['127.0.1.253', '127.0.1.254', '127.0.2.1', '127.0.2.2']);
});

test('200 hosts from 127.0.1.1 end at 127.0.1.200; 300 cross into 127.0.2.x', () => {
  assert.equal(sandboxAddresses('127.0.1.1', 200).at(-1), '127.0.1.200');
  assert.equal(sandboxAddresses('127.0.1.1', 300).at(-1), '127.0.2.46');
});

test('a first address outside 127.0.0.0/8 is refused with the flag, value and expectation', () => {
  assert.throws(() => sandboxAddresses('10.0.0.1', 1), {
    message: "--first-address: '10.0.0.1' is not a loopback IPv4 address (expected 127.x.y.z, e.g. 127.0.1.1)",
  });
  assert.throws(() => sandboxAddresses('127.0.1', 1), /is not a loopback IPv4 address/);
  assert.throws(() => sandboxAddresses('127.0.1.300', 1), /is not a loopback IPv4 address/);
});

test('a range that would leave 127.0.0.0/8 is refused', () => {
  assert.throws(() => sandboxAddresses('127.255.255.250', 10), {
    message: '--hosts: 10 hosts from 127.255.255.250 do not fit in 127.0.0.0/8',
  });
});

test('parse and format round-trip', () => {
  assert.equal(formatIPv4(parseIPv4('127.0.1.42') as number), '127.0.1.42');
  assert.equal(parseIPv4('1.2.3'), undefined);
});
