// The shaped uplink's pure parts: the rate as tc reads it, and the tc lines that shape only the controller's traffic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controllerAddress, parseUplinkRate, shapingCommands } from '../../../scripts/bench/uplink.ts';

test('parseUplinkRate: kbit, mbit, gbit (any case, decimals); bytes, bare numbers and absurd rates refused', () => {
  assert.deepEqual(parseUplinkRate('100mbit'), { tc: '100mbit', bitsPerSecond: 1e8 });
  assert.deepEqual(parseUplinkRate('1.5Gbit'), { tc: '1.5gbit', bitsPerSecond: 1.5e9 });
  assert.deepEqual(parseUplinkRate('512kbit'), { tc: '512kbit', bitsPerSecond: 512e3 });
  for (const bad of ['100', '100mb', '100mbps', '12MB', 'fast', '-5mbit', '1kbit', '1000gbit', '100 mbit x'])
    assert.equal(parseUplinkRate(bad), undefined, bad);
});

test('shapingCommands: htb root defaulting to an unshaped class, one class at the rate, u32 on the source', () => {
  const lines = shapingCommands({ tc: '100mbit', bitsPerSecond: 1e8 }).map((a) => a.join(' '));
  assert.deepEqual(lines, [
    'qdisc add dev lo root handle 1: htb default 20 r2q 1000',
    'class add dev lo parent 1: classid 1:10 htb rate 100mbit ceil 100mbit burst 256k cburst 256k',
    'class add dev lo parent 1: classid 1:20 htb rate 100gbit burst 256k cburst 256k',
    `filter add dev lo parent 1: protocol ip prio 1 u32 match ip src ${controllerAddress}/32 flowid 1:10`,
  ]);
  assert.equal(controllerAddress, '127.0.0.2');
});
