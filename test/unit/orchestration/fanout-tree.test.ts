import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment } from '../../../src/orchestration/fanout-tree.ts';
import { FanoutTree } from '../../../src/orchestration/fanout-tree.ts';

const show = (as: Assignment[]) => as.map((a) => `${a.host}<${a.source.kind === 'relay' ? a.source.from : 'here'}`);
const relays = { relays: true, sendLimit: 2 };

test('the controller sends to K hosts; later hosts wait for a verified copy, then get it from a relay', () => {
  const tree = new FanoutTree(2);
  assert.deepEqual(show(tree.want('h1', relays)), ['h1<here']);
  assert.deepEqual(show(tree.want('h2', relays)), ['h2<here']);
  assert.deepEqual(show(tree.want('h3', relays)), [], 'no third copy from here: h1 and h2 will send');
  assert.deepEqual(show(tree.want('h4', relays)), []);
  assert.deepEqual(show(tree.want('h5', relays)), []);
  // h1 verified: it takes the two waiting longest (its limit), h5 waits for the next sender.
  assert.deepEqual(show(tree.finished('h1', true)), ['h3<h1', 'h4<h1']);
  assert.deepEqual(show(tree.finished('h2', true)), ['h5<h2']);
  assert.deepEqual(show(tree.want('h6', relays)), ['h6<h2']);
  assert.deepEqual(show(tree.want('h7', relays)), [], 'every sender is busy');
  assert.deepEqual(show(tree.finished('h3', true)), ['h7<h3']);
  assert.deepEqual(tree.fromController.sort(), ['h1', 'h2']);
});

test('a failed relay: its receiver goes to the controller at once, its sender sends no more', () => {
  const tree = new FanoutTree(1);
  tree.want('h1', relays);
  tree.want('h2', relays);
  tree.want('h3', relays);
  assert.deepEqual(show(tree.finished('h1', true)), ['h2<h1', 'h3<h1']);
  assert.deepEqual(show(tree.finished('h2', false)), ['h2<here']);
  assert.deepEqual(show(tree.want('h4', relays)), [], 'h1 still has a relay running (h3)');
  assert.deepEqual(show(tree.finished('h3', true)), ['h4<h3'], 'not h1: it failed a relay');
  assert.equal(tree.served.get('h3')?.kind, 'relay');
});

test('a relay that failed at the receiver alone leaves its sender sending', () => {
  const tree = new FanoutTree(1);
  tree.want('h1', { relays: true, sendLimit: 1 });
  tree.want('h2', relays);
  tree.want('h3', relays);
  assert.deepEqual(show(tree.finished('h1', true)), ['h2<h1']);
  assert.deepEqual(show(tree.finished('h2', false, false)), ['h2<here', 'h3<h1']);
});

test('hosts that cannot relay are served by the controller at once, outside its K slots, and never send', () => {
  const tree = new FanoutTree(1);
  assert.deepEqual(show(tree.want('h1', { relays: false, sendLimit: 2 })), ['h1<here']);
  assert.deepEqual(show(tree.want('h2', relays)), ['h2<here'], 'the one slot is still free');
  assert.deepEqual(show(tree.finished('h1', true)), []);
  assert.deepEqual(show(tree.want('h3', relays)), []);
  assert.deepEqual(show(tree.finished('h2', true)), ['h3<h2']);
});

test('when no copy can come from another host, waiting hosts get it from the controller', () => {
  const tree = new FanoutTree(1);
  tree.want('h1', relays);
  assert.deepEqual(show(tree.want('h2', relays)), []);
  // h1's direct upload failed: nobody holds or will hold a copy, so waiting would be forever.
  assert.deepEqual(show(tree.finished('h1', false)), ['h2<here']);
  assert.deepEqual(show(tree.want('h3', relays)), [], 'h2 will send once verified');
  assert.deepEqual(show(tree.finished('h2', true)), ['h3<h2']);
});

test('every sender failed: the hosts left waiting fall back to the controller', () => {
  const tree = new FanoutTree(1);
  tree.want('h1', { relays: true, sendLimit: 1 });
  tree.want('h2', relays);
  tree.want('h3', relays);
  assert.deepEqual(show(tree.finished('h1', true)), ['h2<h1']);
  // h1's relay to h2 failed: h1 is dropped; h2 goes direct and will not send (it may be the one that cannot reach
  // or be reached), so nobody can send to h3: it goes direct too.
  assert.deepEqual(show(tree.finished('h2', false)), ['h2<here', 'h3<here']);
});

test('a host that holds a copy already (cached) may send without receiving', () => {
  const tree = new FanoutTree(1);
  tree.want('h1', relays);
  tree.want('h2', relays);
  assert.deepEqual(show(tree.holds('h9', 1)), ['h2<h9']);
});
