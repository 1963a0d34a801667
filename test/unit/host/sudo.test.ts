import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import { SudoOnHost, SudoPasswordError } from '../../../src/host/sudo.ts';
import { SecretValue } from '../../../src/secrets/values.ts';
import { shellQuote } from '../../../src/shell/quote.ts';
import { AnsweredPrompt } from '../../../src/ssh/answer.ts';

// A stand-in for sudo that drops its options and runs the rest: the words as a real sh reads them.
const fakeSudo = 'sudo() { while [ "$1" != -- ]; do shift; done; shift; "$@"; }';
const runWrapped = (command: string) => spawnSync('sh', ['-c', `${fakeSudo}; ${command}`], { encoding: 'utf8' });

const result = (stderr: string, code = 1) => ({ code, signal: null, stdout: '', stderr });
const prompt = () => new AnsweredPrompt(() => Promise.resolve(undefined));

test('wrap keeps a whole command line as one argument of sh -c, after the ready line on stderr', () => {
  const sudo = new SudoOnHost('h', 'convoy', undefined);
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme' }).map((s) => s.replaceAll('\0', '')),
      (line) => {
        const { command, answer } = sudo.wrap(`printf '%s' ${shellQuote(line)}`);
        const r = runWrapped(command);
        assert.equal(r.stdout, line);
        assert.equal(r.stderr, `${answer.ready}\n`);
      },
    ),
    { numRuns: 100 },
  );
});

test('with no password sudo never waits (-n); with one, it prompts with the nonce and reads stdin (-S)', () => {
  assert.match(new SudoOnHost('h', 'convoy', undefined).wrap('true').command, /^sudo -n -- sh -c /);
  const { command, answer } = new SudoOnHost('h', 'convoy', new SecretValue('sudo password', 's3cret')).wrap('true');
  assert.ok(command.startsWith(`sudo -S -p ${shellQuote(answer.prompt)} -- sh -c `), command);
  assert.ok(!command.includes('s3cret'), 'the password is not in the command');
});

test('requiretty: judged once, then the ready line goes to the one stream a pty has', () => {
  const sudo = new SudoOnHost('h', 'convoy', undefined);
  assert.equal(sudo.judge(result('sudo: sorry, you must have a tty to run sudo\n'), prompt()), 'tty');
  assert.equal(sudo.needsTty, true);
  assert.equal(sudo.inline, false, 'no more sudo -n inside login scripts');
  const { command, answer } = sudo.wrap('echo hi');
  assert.equal(runWrapped(command).stdout, `${answer.ready}\nhi\n`);
});

test('a sudo that wants a password the run does not have fails the host naming both flags, and is not asked again', () => {
  const sudo = new SudoOnHost('h', 'convoy', undefined);
  assert.throws(() => sudo.judge(result('sudo: a password is required\n'), prompt()), SudoPasswordError);
  assert.throws(
    () => sudo.wrap('true'),
    /h: sudo asks convoy for a password: give it with --ask-sudo-pass .* or --sudo-pass-file FILE/,
  );
});

test('a refused password is remembered: no later step on the host tries it again', async () => {
  const sudo = new SudoOnHost('h', 'convoy', new SecretValue('sudo password', 'wrong'));
  const { answer } = sudo.wrap('true');
  const io = { send: () => {}, giveUp: () => {}, onReady: () => {} };
  answer.feed(Buffer.from(`${answer.prompt}`), io);
  await new Promise((resolve) => setImmediate(resolve));
  answer.feed(Buffer.from(`Sorry, try again.\n${answer.prompt}`), io);
  assert.throws(
    () => sudo.judge(result('sudo: 1 incorrect password attempt\n'), answer),
    /sudo refused the password for convoy/,
  );
  assert.throws(() => sudo.wrap('true'), /sudo refused the password/);
});

test('what a relay channel was told by sudo is learnt when next asked (nobody judges a channel)', () => {
  const sudo = new SudoOnHost('h', 'convoy', undefined);
  const { answer } = sudo.wrapChannel('exec relay');
  answer.feed(Buffer.from('sudo: sorry, you must have a tty to run sudo\n'), {
    send: () => {},
    giveUp: () => {},
    onReady: () => {},
  });
  assert.equal(sudo.needsTty, true);
});
