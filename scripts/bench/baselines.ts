// The tools Convoy is measured against, each doing the same work on the same hosts: OpenSSH `ssh` per host in
// parallel, parallel-ssh, Fabric and Ansible (the last three only when installed).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runTimed } from './measure.ts';
import type { Run } from './measure.ts';

export interface Fleet {
  addresses: string[];
  keyFile: string;
  knownHostsFile: string;
}

export interface Baseline {
  name: string;
  /** Runs `remote` on every host; resolves with the wall time (throws when a host did not answer). */
  run(remote: string): Promise<Run>;
}

const sshOptions = (fleet: Fleet) => [
  '-F',
  '/dev/null',
  '-i',
  fleet.keyFile,
  '-o',
  `UserKnownHostsFile=${fleet.knownHostsFile}`,
  '-o',
  'StrictHostKeyChecking=yes',
  '-o',
  'BatchMode=yes',
];

// supervisorctl exits 3 when a program is not RUNNING: an answer, not a failure.
const answered = (code: number) => code === 0 || code === 3;

function installed(program: string, args: string[] = ['--version']): boolean {
  return spawnSync(program, args, { stdio: 'ignore' }).status === 0;
}

/** One `ssh host command` process per host, all at once (what a shell loop with `&` does). */
export function openSshBaseline(fleet: Fleet, env: NodeJS.ProcessEnv): Baseline {
  return {
    name: `${fleet.addresses.length} parallel ssh`,
    async run(remote) {
      const started = performance.now();
      const runs = await Promise.all(
        fleet.addresses.map((a) => runTimed('ssh', [...sshOptions(fleet), `root@${a}`, remote], { env })),
      );
      const failed = runs.filter((r) => !answered(r.code)).length;
      if (failed) throw new Error(`parallel ssh: ${failed} hosts failed`);
      return { code: 0, ms: performance.now() - started, stdout: '' };
    },
  };
}

/** parallel-ssh (pssh) with one slot per host. */
export function parallelSshBaseline(fleet: Fleet, work: string, env: NodeJS.ProcessEnv): Baseline | undefined {
  const program = ['parallel-ssh', 'pssh'].find((p) => installed(p));
  if (!program) return undefined;
  const hostsFile = path.join(work, 'pssh-hosts');
  writeFileSync(hostsFile, fleet.addresses.map((a) => `root@${a}`).join('\n') + '\n');
  return {
    name: `parallel-ssh -p ${fleet.addresses.length}`,
    async run(remote) {
      const r = await runTimed(
        program,
        ['-p', String(fleet.addresses.length), '-t', '0', '-h', hostsFile, '-x', sshOptions(fleet).join(' '), remote],
        { env },
      );
      // pssh exits 5 when some remote command exited non-zero (supervisorctl's 3), 1–4 for real failures.
      if (r.code !== 0 && r.code !== 5) throw new Error(`parallel-ssh exited ${r.code}`);
      return r;
    },
  };
}

const fabricScript = `
import sys
import paramiko
from fabric import Config, ThreadingGroup
from fabric.exceptions import GroupException
key, known, command = sys.argv[1], sys.argv[2], sys.argv[3]
group = ThreadingGroup(*['root@' + a for a in sys.argv[4:]], config=Config(overrides={'load_ssh_configs': False}),
                       connect_kwargs={'key_filename': key, 'look_for_keys': False, 'allow_agent': False})
for c in group:
    c.client.load_host_keys(known)
    c.client.set_missing_host_key_policy(paramiko.RejectPolicy())
try:
    results = group.run(command, hide=True, warn=True)
except GroupException as e:
    failed = [c.host for c, r in e.result.items() if isinstance(r, Exception)]
    sys.stderr.write('fabric: failed on %d hosts: %s\\n' % (len(failed), failed[:3]))
    sys.exit(1)
`;

/** Fabric 2 (ThreadingGroup: one thread and one paramiko connection per host), Debian's python3-fabric. */
export function fabricBaseline(fleet: Fleet, work: string, env: NodeJS.ProcessEnv): Baseline | undefined {
  const python = ['/usr/bin/python3', 'python3'].find((p) => installed(p, ['-c', 'import fabric']));
  if (!python) return undefined;
  const script = path.join(work, 'fabric_bench.py');
  writeFileSync(script, fabricScript);
  return {
    name: 'Fabric ThreadingGroup',
    async run(remote) {
      const r = await runTimed(python, [script, fleet.keyFile, fleet.knownHostsFile, remote, ...fleet.addresses], {
        env,
      });
      if (r.code !== 0) throw new Error(`fabric exited ${r.code}`);
      return r;
    },
  };
}

/**
 * Ansible ad hoc (`ansible all -m command -f <hosts>`), configured as an experienced user would: pipelining on,
 * the interpreter named (no discovery round trip). With `persist`, its default ControlPersist=60s keeps each
 * host's SSH connection open between runs (warm after the first); without, every run connects afresh as Convoy does.
 */
export function ansibleBaseline(
  fleet: Fleet,
  work: string,
  env: NodeJS.ProcessEnv,
  persist: boolean,
): Baseline | undefined {
  if (!installed('ansible')) return undefined;
  const inventory = path.join(work, 'ansible-hosts.ini');
  writeFileSync(
    inventory,
    [
      '[fleet]',
      ...fleet.addresses,
      '',
      '[fleet:vars]',
      'ansible_user=root',
      `ansible_ssh_private_key_file=${fleet.keyFile}`,
      `ansible_ssh_common_args='-F /dev/null -o UserKnownHostsFile=${fleet.knownHostsFile} -o StrictHostKeyChecking=yes'`,
      'ansible_python_interpreter=/usr/bin/python3',
      '',
    ].join('\n'),
  );
  const ansibleEnv = {
    ...env,
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_LOCALHOST_WARNING: 'False',
    ANSIBLE_NOCOLOR: '1',
    ...(persist ? {} : { ANSIBLE_SSH_ARGS: '-C -o ControlMaster=no' }),
  };
  return {
    name: `Ansible ad hoc -f ${fleet.addresses.length}, ${persist ? 'ControlPersist (warm)' : 'no ControlPersist'}`,
    async run(remote) {
      const r = await runTimed(
        'ansible',
        ['all', '-i', inventory, '-f', String(fleet.addresses.length), '-m', 'command', '-a', remote, '-o'],
        { env: ansibleEnv },
      );
      // 2: some host's command exited non-zero (supervisorctl's 3); 4: unreachable hosts.
      const unreachable = (r.stdout.match(/UNREACHABLE!/g) ?? []).length;
      const answers = (r.stdout.match(/ \| (CHANGED|FAILED|SUCCESS) /g) ?? []).length;
      if (unreachable || answers !== fleet.addresses.length)
        throw new Error(`ansible: ${answers} of ${fleet.addresses.length} hosts answered (exit ${r.code})`);
      return r;
    },
  };
}
