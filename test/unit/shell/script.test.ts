// Convoy's own steps are sh scripts fed to `sh -s` on stdin: run here through real shells, as a login shell would
// start them (fish and tcsh where the machine has them), they behave as under sh.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { killStepScript, newStepId, scriptShell, stepScript } from '../../../src/shell/script.ts';

/** Runs `sh -s` the way sshd does: `<login shell> -c 'sh -s'`, the script on stdin. */
function runAsLogin(shell: string, stdin: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(shell, ['-c', scriptShell], { input: stdin, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const shells = ['/bin/sh', '/bin/bash', '/usr/bin/fish', '/usr/bin/tcsh'].filter((shell) => existsSync(shell));

test('a multi-statement step runs under sh whatever the login shell', () => {
  const script = 'x=$(printf %s "a b") && [ "$x" = "a b" ] 2>/dev/null || exit 3\necho "ok $x" | tr a-z A-Z';
  for (const shell of shells) {
    const result = runAsLogin(shell, stepScript(script));
    assert.equal(result.code, 0, `${shell}: ${result.stderr}`);
    assert.equal(result.stdout, 'OK A B\n', shell);
  }
});

test('a command in the step that reads stdin never eats the rest of the script', () => {
  const script = 'cat\necho after';
  const result = runAsLogin('/bin/sh', stepScript(script));
  assert.equal(result.stdout, 'after\n');
});

test("the step's own input reaches it byte for byte, binary included, and the exit status is the script's", () => {
  const input = Buffer.from([0, 1, 2, 255, 10, 39, 34, 36, 96, 92]);
  const script = 'od -An -tx1 | tr -s " \\n" " "\nexit 7';
  for (const shell of shells) {
    const result = runAsLogin(shell, stepScript(script, input));
    assert.equal(result.code, 7, `${shell}: ${result.stderr}`);
    assert.equal(result.stdout.trim(), '00 01 02 ff 0a 27 22 24 60 5c', shell);
  }
});

test("files a step creates get 0644 whatever the login's umask", () => {
  const script = 'd=$(mktemp -d) && : > "$d/f" && stat -c %a "$d/f" && rm -rf "$d"';
  const result = runAsLogin('/bin/sh', `umask 077\n${stepScript(script)}`);
  assert.equal(result.stdout, '644\n');
});

test('the script is one function and its input a quoted here-document: nothing in either is expanded early', () => {
  const text = stepScript('cat', '$(touch /tmp/never) `id` $HOME');
  assert.match(text, /^umask 022\n/);
  assert.match(text, /<<'CONVOY-INPUT-[0-9a-f]{16}' \| convoy_step\n/);
  const result = runAsLogin('/bin/sh', text);
  assert.equal(result.stdout, '$(touch /tmp/never) `id` $HOME');
});

test("a step's processes carry its mark, and killStepScript ends them all and nothing else", async () => {
  const id = newStepId();
  // As a root login runs it: the shell marked through env, what it starts through the script.
  const step = spawn('env', [`CONVOY_STEP=${id}`, 'sh', '-s'], { stdio: ['pipe', 'ignore', 'ignore'] });
  step.stdin.end(stepScript('sleep 30 & sleep 30; wait', undefined, id));
  const other = spawn('sleep', ['30'], { stdio: 'ignore', env: { ...process.env, CONVOY_STEP: newStepId() } });
  await new Promise((r) => setTimeout(r, 300));
  const marked = () =>
    spawnSync('sh', ['-c', `grep -l -z -x 'CONVOY_STEP=${id}' /proc/[0-9]*/environ 2>/dev/null | wc -l`], {
      encoding: 'utf8',
    }).stdout.trim();
  assert.equal(marked(), '3', 'the step shell and its two sleeps');
  const ended = new Promise((r) => step.on('exit', r));
  assert.equal(spawnSync('sh', ['-s'], { input: killStepScript(id) }).status, 0);
  await ended;
  assert.equal(marked(), '0');
  assert.equal(other.exitCode, null, 'a process of another step is left alone');
  other.kill();
});
