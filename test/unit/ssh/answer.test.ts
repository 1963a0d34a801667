import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnsweredPrompt } from '../../../src/ssh/answer.ts';

/** A prompt fed by hand: what it sent, whether it gave up, and when the command became ready. */
function conversation(reply: string | null = 'hunter2') {
  const prompt = new AnsweredPrompt(() => Promise.resolve(reply ?? undefined), 'N0NCE');
  const events: string[] = [];
  const io = {
    send: (text: string) => events.push(`send ${JSON.stringify(text)}`),
    giveUp: () => events.push('give up'),
    onReady: () => events.push('ready'),
  };
  const feed = (text: string) => prompt.feed(Buffer.from(text, 'latin1'), io)?.toString('latin1');
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { prompt, events, feed, settle };
}

test('the prompt and the ready line are the nonce: nothing the host prints by chance matches them', () => {
  const { prompt } = conversation();
  assert.equal(prompt.prompt, '[convoy-sudo N0NCE] ');
  assert.equal(prompt.ready, 'convoy-ready-N0NCE');
  assert.notEqual(
    new AnsweredPrompt(() => Promise.resolve('x')).prompt,
    new AnsweredPrompt(() => Promise.resolve('x')).prompt,
  );
});

test('a sudo that asks nothing is never sent the password: the input waits for the ready line', async () => {
  const { prompt, events, feed, settle } = conversation();
  assert.equal(feed('Password: '), undefined, "another program's prompt is not answered");
  assert.equal(feed('convoy-ready-N0NCE\nout'), 'out');
  await settle();
  assert.deepEqual(events, ['ready']);
  assert.equal(prompt.outcome, 'ready');
  assert.equal(feed('more'), 'more', 'after the ready line, everything is the command’s');
});

test('the prompt is answered once, then the command runs; what sudo said is kept apart, prompts removed', async () => {
  const { prompt, events, feed, settle } = conversation();
  feed('We trust you have received the usual lecture.\n[convoy-sudo N0');
  feed('NCE] ');
  await settle();
  assert.deepEqual(events, ['send "hunter2\\n"']);
  assert.equal(feed('\r\nconvoy-ready-N0NCE\r\nfirst line'), 'first line');
  assert.deepEqual(events, ['send "hunter2\\n"', 'ready']);
  assert.equal(prompt.preamble(), 'We trust you have received the usual lecture.\n');
});

test('a second prompt means a wrong password: no second answer, the input ends', async () => {
  const { prompt, events, feed, settle } = conversation();
  feed('[convoy-sudo N0NCE] ');
  await settle();
  feed('Sorry, try again.\n[convoy-sudo N0NCE] ');
  await settle();
  assert.deepEqual(events, ['send "hunter2\\n"', 'give up']);
  assert.equal(prompt.outcome, 'wrong-reply');
  assert.equal(feed('sudo: 1 incorrect password attempt\n'), undefined);
  assert.match(prompt.preamble(), /^Sorry, try again\.\n/);
});

test('no password to give: the input ends at the prompt, nothing is sent', async () => {
  const { prompt, events, feed, settle } = conversation(null);
  feed('[convoy-sudo N0NCE] ');
  await settle();
  assert.deepEqual(events, ['give up']);
  assert.equal(prompt.outcome, 'no-reply');
});
