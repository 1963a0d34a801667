// A real terminal for tests that need one (a passphrase or sudo password prompt): python3's pty module, since native
// modules such as node-pty cannot build here.

// Runs argv[1:] on a new pty (its controlling terminal: stdin, stdout, stderr and /dev/tty); answers each prompt that
// names PROMPT_MARK with the next line of ANSWERS (taken from the environment, so never on a command line); prints
// everything the terminal showed, then "EXIT=<code>".
export const ptyDriver = `
import os, pty, select, sys, time
answers = os.environ.pop('ANSWERS').split('\\n')
mark = os.environ.pop('PROMPT_MARK').encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
answered = 0
deadline = time.time() + 90
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if not ready:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if out.count(mark) > answered and out.endswith(b': '):
        answered += 1
        os.write(fd, ((answers.pop(0) if answers else '') + '\\r').encode())
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.stdout.write('\\nEXIT=%d\\n' % os.waitstatus_to_exitcode(status))
`;
