import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, didYouMean, editDistance } from '../../../src/inventory/suggest.ts';

test('edit distance counts insertions, deletions, substitutions and swaps as one each', () => {
  assert.equal(editDistance('address', 'address'), 0);
  assert.equal(editDistance('adress', 'address'), 1);
  assert.equal(editDistance('identiy', 'identity'), 1);
  assert.equal(editDistance('sudo', 'suod'), 1);
  assert.equal(editDistance('web', 'wbe'), 1);
  assert.equal(editDistance('port', 'sort'), 1);
  assert.equal(editDistance('tier', 'user'), 2);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('closest allows one edit for short words and two for longer ones', () => {
  assert.equal(closest('wbe', ['db', 'web', 'prod']), 'web');
  assert.equal(closest('tier', ['user', 'port']), undefined);
  assert.equal(closest('suprvisor_cnf', ['supervisor_conf']), 'supervisor_conf');
  assert.equal(closest('supervsr_cnf', ['supervisor_conf']), undefined);
});

test('closest prefers the nearest candidate, then the first one', () => {
  assert.equal(closest('webb', ['web1', 'web']), 'web1');
  assert.equal(closest('prodd', ['prod', 'prods']), 'prod');
  assert.equal(closest('hostz', ['hosts', 'host']), 'hosts');
});

test('closest never suggests the word itself, nor a candidate that shares nothing with it', () => {
  assert.equal(closest('web', ['web']), undefined);
  assert.equal(closest('y', ['x']), undefined);
  assert.equal(closest('db', ['dc']), 'dc');
});

test('didYouMean formats the hint or nothing', () => {
  assert.equal(didYouMean('wbe', ['web']), " (did you mean 'web'?)");
  assert.equal(didYouMean('zzz', ['web']), '');
});
