// The command line: flags and help only; each action lazy-imports one command function and passes typed options.
import { Command, Option } from 'commander';
import type { Output } from '../output/output.ts';
import { createOutput } from '../output/output.ts';
import type { FleetContextOptions } from '../commands/fleet-context.ts';
import type { GlobalOptions } from '../commands/global-options.ts';
import type { Interruption } from '../commands/interruption.ts';
import type { PassphrasePrompt } from '../host/fleet.ts';
import type { ControlAction } from '../supervisor/control.ts';
import type { Amount } from '../units/amount.ts';
import {
  amountOption,
  bindAddressOption,
  durationOption,
  flavorList,
  integerOption,
  shellList,
  sudoModeList,
} from './options.ts';
import type { SandboxFlavor, SandboxShell, SandboxSudo } from '../sandbox/plan.ts';
import { sandboxFlavors } from '../sandbox/plan.ts';
import { convoyVersion } from './version.ts';
import { stepTimeoutRange } from '../inventory/settings.ts';
import { persistRange } from '../inventory/persist.ts';
import { UsageError } from '../errors.ts';
import { SecretValue } from '../secrets/values.ts';
import type { SudoPasswordPrompt } from './passphrase.ts';
import type { RetryPlan, RunJournal } from '../commands/run-journal.ts';

// --timeout: as the inventory's connect_timeout.
const connectionDuration = durationOption({ max: 3_600_000 });
// --persist: as the inventory's persist.
const persistDuration = durationOption(persistRange);
// --step-timeout: as the inventory's step_timeout.
const stepDuration = durationOption(stepTimeoutRange);
// --pause: as a task file's rolling.pause.
const pauseDuration = durationOption({ allowZero: true });
// status --watch: from 0.2 s to 1 h, the range it always had.
const watchDuration = durationOption({ min: 200, max: 3_600_000 });
// --lock-wait: any duration a timer can wait.
const lockWaitDuration = durationOption({});
const lockWaitHelp = 'wait up to this long for an app lock held by a live run (saying who holds it), e.g. 2m';

export interface ProgramContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The exit code of the command that ran (set by its action). */
  setExitCode(code: number): void;
  stderr(text: string): void;
  /** Where results go; default the process's stdout. */
  stdout?: ((text: string) => void) | undefined;
  /** Ctrl-C, as the command sees it. */
  readonly interruption: Interruption;
  /** Asks an encrypted key's passphrase; absent when no one is at a terminal. */
  askPassphrase?: PassphrasePrompt | undefined;
  /** Asks the sudo password for `--ask-sudo-pass`; absent when no one is at a terminal. */
  askSudoPassword?: SudoPasswordPrompt | undefined;
  /** This run's journal: multi-host commands record their hosts and outcomes in it. */
  journal?: RunJournal | undefined;
  /** Set when `convoy retry` runs a recorded command line again. */
  retry?: RetryPlan | undefined;
  /** Runs a command line again, as a retry of a recorded run (`convoy retry`). */
  rerun?: (argv: readonly string[], retry: RetryPlan) => Promise<number>;
}

// What every action passes on besides its own flags: read when the action runs, after commander has parsed.
interface CommandContext extends ProgramContext {
  output(): Output;
  /** The global flags, cwd, env and output, as most commands take them. */
  fleet(): FleetContextOptions & { output: Output };
}

export function buildProgram(context: ProgramContext): Command {
  const program = rootCommand(context);
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const output = () =>
    createOutput({
      json: globals().json,
      colorFlag: globals().color,
      env: context.env,
      ...(context.stdout ? { stdout: { write: context.stdout }, stderr: { write: context.stderr } } : {}),
    });
  // `--ask-sudo-pass` is asked once, before the command touches any host.
  let sudoPassword: SecretValue | undefined;
  program.hook('preAction', async () => {
    sudoPassword = await askedSudoPassword(globals(), context);
  });
  const commands: CommandContext = {
    ...context,
    output,
    fleet: () => ({
      globals: globals(),
      cwd: context.cwd,
      env: context.env,
      output: output(),
      askPassphrase: context.askPassphrase,
      sudoPassword,
      journal: context.journal,
      retry: context.retry,
    }),
  };
  registerHosts(program, commands);
  registerCheck(program, commands);
  registerDeploy(program, commands);
  registerRollback(program, commands);
  registerRemove(program, commands);
  registerHistory(program, commands);
  registerRun(program, commands);
  registerSetup(program, commands);
  registerStatus(program, commands);
  registerPlan(program, commands);
  registerControls(program, commands);
  registerLogs(program, commands);
  registerExec(program, commands);
  registerSandbox(program, commands);
  registerUi(program, commands);
  registerRetry(program, commands);
  return program;
}

/** The password `--ask-sudo-pass` asks for (once, hidden), as a value that prints as its name only. */
async function askedSudoPassword(globals: GlobalOptions, context: ProgramContext): Promise<SecretValue | undefined> {
  if (!globals.askSudoPass) return undefined;
  if (globals.sudoPassFile !== undefined)
    throw new UsageError('--ask-sudo-pass and --sudo-pass-file: give one of them');
  if (!context.askSudoPassword)
    throw new UsageError('--ask-sudo-pass needs a terminal to ask on; without one, use --sudo-pass-file FILE');
  return new SecretValue('sudo password', await context.askSudoPassword());
}

function rootCommand(context: ProgramContext): Command {
  return new Command('convoy')
    .description('Deploy and drive Supervisor programs on a fleet of hosts over SSH.')
    .version(convoyVersion(), '-V, --version', 'print the version')
    .option('-i, --inventory <file>', 'inventory file', context.env.CONVOY_INVENTORY ?? 'inventories/default.ini')
    .option('--tasks <dir>', 'directory of task files', 'tasks')
    .option('-c, --concurrency <n>', 'hosts worked on at once', integerOption(1, 10_000))
    .option('--json', 'machine-readable output', false)
    .option('--no-color', 'no ANSI colors (also NO_COLOR=1)')
    .option('--accept-new-host-keys', 'trust and record host keys seen for the first time (default: refuse them)')
    .option('--known-hosts <file>', 'known_hosts file (default ~/.ssh/known_hosts)')
    .option(
      '--timeout <duration>',
      'a host silent this long is unreachable: the SSH handshake, and any later silence (keepalives); e.g. 5s ' +
        "(default: handshake 10s, silence about 60s, or the inventory's connect_timeout / server_alive_*)",
      connectionDuration,
    )
    .option(
      '--persist <duration>',
      'keep SSH connections open in a background process for this long after the last use ' +
        "(like OpenSSH ControlPersist), so later runs skip the handshakes; e.g. 60s (wins over the inventory's persist)",
      persistDuration,
    )
    .option('--no-persist', "no background process for this run, whatever the inventory's persist says")
    .option(
      '--step-timeout <duration>',
      'how long one remote step (a command, a hook, a supervisord call) may take before it is abandoned and its host ' +
        "fails; 0 for no limit (default 15m, or the inventory's step_timeout)",
      stepDuration,
    )
    .option(
      '--bind-address <addr>',
      "connect from this local IP address (OpenSSH's -b; wins over the inventory's bind_address and ssh config's BindAddress)",
      bindAddressOption,
    )
    .option('--ask-sudo-pass', "ask sudo's password once (hidden); answered only where sudo prompts for it")
    .option(
      '--sudo-pass-file <file>',
      "sudo's password: the file's first line (the file must be mode 0600 or stricter)",
    )
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  convoy sandbox up --hosts 5      # a local fleet of 5 real hosts',
        '  convoy -i inventories/sandbox.ini status sandbox',
        '  convoy --timeout 5s exec web -- uptime   # a host silent for 5s is reported unreachable, the others finish',
      ].join('\n'),
    );
}

// --rolling, --canary, --pause and --max-fail as commander reads them.
interface RollingFlags {
  rolling?: Amount;
  canary?: number;
  pause?: number;
  maxFail?: Amount;
}

// The rolling flags of deploy and start/stop/restart; only their help differs.
function addRollingFlags(command: Command, help: { rolling: string; canary: string; maxFail: string }): Command {
  return command
    .option('--rolling <n|n%>', help.rolling, amountOption)
    .option('--canary <n>', help.canary, integerOption(0, 100_000))
    .option('--pause <duration>', 'wait between batches, e.g. 10s', pauseDuration)
    .option('--max-fail <n|n%>', help.maxFail, amountOption);
}

// The rolling flags as commands take them: the pause in milliseconds.
function rollout({ rolling, canary, pause, maxFail }: RollingFlags) {
  return { rolling, canary, pauseMs: pause, maxFail };
}

function registerHosts(program: Command, context: CommandContext): void {
  program
    .command('hosts [target]')
    .description('resolve a target and list its hosts with their connection settings and variables (no SSH)')
    .addHelpText(
      'after',
      [
        '',
        'Targets: all, a group, a host, comma lists, !exclude, &intersect, * and ? globs.',
        '',
        'Examples:',
        '  convoy hosts',
        "  convoy hosts 'web,&prod,!web3' --json",
      ].join('\n'),
    )
    .action(async (target: string | undefined) => {
      const { hostsCommand } = await import('../commands/hosts.ts');
      context.setExitCode(await hostsCommand({ target: target ?? 'all', ...context.fleet() }));
    });
}

function registerCheck(program: Command, context: CommandContext): void {
  program
    .command('check [target]')
    .description(
      'validate the inventory and the task files without connecting; exit 2 listing every problem. ' +
        "With a target, also read each host's include directory for orphaned confs (exit 3 when any)",
    )
    .addHelpText(
      'after',
      '\nOrphaned: a conf Convoy wrote (its marker line) for an app no task file describes any more.\n\n' +
        'Examples:\n  convoy -i inventories/prod.ini check\n  convoy -i inventories/prod.ini check web',
    )
    .action(async (target: string | undefined) => {
      const { checkCommand } = await import('../commands/hosts.ts');
      context.setExitCode(await checkCommand({ ...context.fleet(), target }));
    });
}

function registerDeploy(program: Command, context: CommandContext): void {
  const deploy = program
    .command('deploy <target> [apps...]')
    .description("stage the app's artifact and .conf on every host (nothing live changes), then switch and restart")
    .option(
      '--dry-run',
      'show per host the release, bytes to upload, the .conf diff and what would restart; change nothing',
      false,
    );
  addRollingFlags(deploy, {
    rolling: "switch n (or n%) hosts at a time, each batch health-gated (default: the app's rolling, else all)",
    canary: 'hosts switched alone in a first batch',
    maxFail: 'failed or unreachable hosts the whole deploy may absorb (default 0)',
  })
    .option('--force-unlock', 'break a lock left by a dead deploy (the lock names its owner; never automatic)', false)
    .option('--lock-wait <duration>', lockWaitHelp, lockWaitDuration)
    .option(
      '--adopt',
      "replace an app's .conf that Convoy did not write (the original is kept in <root>/.convoy/adopted/)",
      false,
    )
    .option(
      '--fanout <k>',
      'upload to k hosts; each verified host passes it on to up to k others over SSH (0 = off; docs/deploy.md)',
      integerOption(0, 8),
    )
    .addHelpText(
      'after',
      '\nApps come from the task files (--tasks, default tasks/); none named = every app with hosts in the target.\n' +
        'A redeploy of the same artifact and config uploads nothing and restarts nothing.\n\n' +
        'Examples:\n  convoy deploy web\n  convoy deploy web monprog --dry-run\n  convoy deploy prod api --max-fail 10%',
    )
    .action(async (target: string, apps: string[], opts: DeployFlags) => {
      const { deployCommand } = await import('../commands/deploy.ts');
      context.setExitCode(
        await deployCommand({
          target,
          apps,
          dryRun: opts.dryRun,
          forceUnlock: opts.forceUnlock,
          lockWaitMs: opts.lockWait,
          adopt: opts.adopt,
          fanout: opts.fanout,
          ...rollout(opts),
          interruption: context.interruption,
          commandLine: ['convoy deploy', target, ...apps].join(' '),
          ...context.fleet(),
        }),
      );
    });
}

type DeployFlags = RollingFlags & {
  dryRun: boolean;
  forceUnlock: boolean;
  lockWait?: number;
  adopt: boolean;
  fanout?: number;
};

function registerRollback(program: Command, context: CommandContext): void {
  const rollback = program
    .command('rollback <target> [app]')
    .description(
      "point `current` back at the release verified before the current one (per the host's deploy record, or --to <id>), restart, check health",
    )
    .option('--to <release>', 'the release id to go back to (it must have been live and verified on the host)')
    .option('--dry-run', 'show per host the release it would go back to and what would restart; change nothing', false);
  addRollingFlags(rollback, {
    rolling: "switch n (or n%) hosts at a time, each batch health-gated (default: the app's rolling, else all)",
    canary: 'hosts switched alone in a first batch',
    maxFail: 'failed or unreachable hosts the whole rollback may absorb (default 0)',
  })
    .option('--force-unlock', 'break a lock left by a dead deploy', false)
    .option('--lock-wait <duration>', lockWaitHelp, lockWaitDuration)
    .addHelpText(
      'after',
      '\nExamples:\n  convoy rollback web monprog\n  convoy rollback web monprog --dry-run --rolling 25%\n' +
        '  convoy rollback web monprog --to 20261125T204903Z-1a2b3c4d5e6f7a8b',
    )
    .action(
      async (
        target: string,
        app: string | undefined,
        opts: RollingFlags & { to?: string; dryRun: boolean; forceUnlock: boolean; lockWait?: number },
      ) => {
        const { rollbackCommand } = await import('../commands/deploy.ts');
        context.setExitCode(
          await rollbackCommand({
            target,
            app,
            to: opts.to,
            dryRun: opts.dryRun,
            forceUnlock: opts.forceUnlock,
            lockWaitMs: opts.lockWait,
            ...rollout(opts),
            interruption: context.interruption,
            commandLine: ['convoy rollback', target, app ?? ''].join(' ').trim(),
            ...context.fleet(),
          }),
        );
      },
    );
}

function registerRemove(program: Command, context: CommandContext): void {
  program
    .command('remove <target> <app>')
    .description(
      "take an app off the target's hosts: stop its programs, remove its .conf, drop its group from supervisord (no other group is touched)",
    )
    .option('--purge', "also remove the app's root (releases, shared/, the deploy record)", false)
    .option('--dry-run', 'show per host what would be stopped and removed; change nothing', false)
    .option('--force-unlock', 'break a lock left by a dead deploy', false)
    .option('--lock-wait <duration>', lockWaitHelp, lockWaitDuration)
    .addHelpText(
      'after',
      "\nThe app may be one no task file describes any more: its conf (Convoy's marker) names it.\n" +
        'A conf Convoy did not write is refused (exit 2, nothing touched).\n\n' +
        'Examples:\n  convoy remove web oldapp --dry-run\n  convoy remove web oldapp --purge',
    )
    .action(async (target: string, app: string, opts: RemoveFlags) => {
      const { removeCommand } = await import('../commands/remove.ts');
      const { lockWait, ...flags } = opts;
      context.setExitCode(
        await removeCommand({
          target,
          app,
          ...flags,
          lockWaitMs: lockWait,
          interruption: context.interruption,
          commandLine: ['convoy remove', target, app].join(' '),
          ...context.fleet(),
        }),
      );
    });
}

type RemoveFlags = { purge: boolean; dryRun: boolean; forceUnlock: boolean; lockWait?: number };

function registerHistory(program: Command, context: CommandContext): void {
  program
    .command('history [target] [app]')
    .description(
      "the hosts' deploy records merged: one row per run (when, app, release, who, commit, outcome per host), " +
        "newest first; hosts whose `current` disagrees with the others' are named",
    )
    .option('-n, --limit <n>', 'rows to show, newest first', integerOption(1, 100_000), 20)
    .option('--deploys', 'only deploys and rollbacks (no start, stop, restart or remove)', false)
    .addHelpText(
      'after',
      '\nApps come from the task files (--tasks); none named = every app. Reads only: one round trip per host.\n\n' +
        'Examples:\n  convoy history web\n  convoy history web hello -n 5 --deploys\n  convoy history all --json',
    )
    .action(async (target: string | undefined, app: string | undefined, opts: { limit: number; deploys: boolean }) => {
      const { historyCommand } = await import('../commands/history.ts');
      context.setExitCode(
        await historyCommand({
          target: target ?? 'all',
          app,
          limit: opts.limit,
          deploysOnly: opts.deploys,
          ...context.fleet(),
        }),
      );
    });
}

function registerRun(program: Command, context: CommandContext): void {
  program
    .command('run <task> [target]')
    .description(
      "run a custom task (defineTask in tasks/) on every host of the target (or the task's own hosts) at once",
    )
    .addHelpText(
      'after',
      '\nThe task gets { host, run, sudo, put, get, supervisor, log } per host; `get` may put {{host}} in the local path.\n' +
        "run() and sudo() throw on a non-zero exit (with the host's stderr) unless called with { warn: true }.\n" +
        'A task that throws fails its host; the others go on. Without a target, the hosts the task names\n' +
        "(defineTask(name, { hosts: 'db' }, fn)); a task that names none needs a target.\n\n" +
        'Examples:\n  convoy run migrate db\n  convoy run collect-logs web',
    )
    .action(async (task: string, target: string | undefined) => {
      const { runTaskCommand } = await import('../commands/run-task.ts');
      context.setExitCode(await runTaskCommand({ task, target, ...context.fleet() }));
    });
}

function registerSetup(program: Command, context: CommandContext): void {
  program
    .command('setup <target>')
    .description('install (if missing), configure and start supervisord on each host; a second run changes nothing')
    .addHelpText(
      'after',
      '\nInstalls the supervisor package (apt-get, dnf or yum; sudo when the login is not root), sets the socket to\n' +
        "chmod=0770 + chown=root:supervisor in the distribution's supervisord.conf (edited in place, with a backup), adds the\n" +
        'login to group supervisor, and starts supervisord the way the host runs services.\n\nExample:\n  convoy setup web',
    )
    .action(async (target: string) => {
      const { setupCommand } = await import('../commands/setup.ts');
      context.setExitCode(await setupCommand({ target, ...context.fleet() }));
    });
}

function registerPlan(program: Command, context: CommandContext): void {
  program
    .command('plan [target] [apps...]')
    .description('what differs between the hosts and what the task files would deploy, changing nothing')
    .addHelpText(
      'after',
      '\nPer host and app: release, conf, pending in supervisord, not RUNNING or restarted, lock; hosts of an app on\n' +
        'different releases; orphaned confs. Two round trips per host, nothing uploaded or written.\n' +
        'Exit: 0 nothing differs, 3 something differs, 4 only unreachable hosts, 1 a host failed.\n\n' +
        'Examples:\n  convoy plan web\n  convoy plan all hello --diff\n  convoy plan --json',
    )
    .option('--diff', "print each differing conf's diff (values of environment= and secrets hidden)")
    .action(async (target: string | undefined, apps: string[], opts: { diff?: boolean }) => {
      const { planCommand } = await import('../commands/plan.ts');
      context.setExitCode(
        await planCommand({ target: target ?? 'all', apps, diff: opts.diff ?? false, ...context.fleet() }),
      );
    });
}

function registerStatus(program: Command, context: CommandContext): void {
  program
    .command('status [target] [programs...]')
    .description('one table of every program on every host (HOST, PROGRAM, STATE, PID, UPTIME, INFO)')
    .addHelpText(
      'after',
      '\nPrograms: group:name, group:* or an app (group) name; none = all.\n' +
        'Exit: 0 all RUNNING, 3 a program is not RUNNING, 4 only unreachable hosts, 1 a host failed.\n\n' +
        'Examples:\n  convoy status web\n  convoy status all mesprogrammes:* --json',
    )
    .option('-w, --watch [seconds]', 'refresh the table every few seconds (default 2) until Ctrl-C', watchDuration)
    .action(async (target: string | undefined, programs: string[], opts: { watch?: number | true }) => {
      const { statusCommand } = await import('../commands/status.ts');
      context.setExitCode(
        await statusCommand({
          target: target ?? 'all',
          programs,
          // A bare --watch (no value for the parser) is every 2 s.
          watchMs: opts.watch === true ? 2000 : opts.watch,
          interruption: context.interruption,
          ...context.fleet(),
        }),
      );
    });
}

const controls: readonly [ControlAction, string, string][] = [
  [
    'start',
    'start programs on every host of the target; waits until RUNNING past startsecs',
    'convoy start web mesprogrammes:*',
  ],
  ['stop', 'stop programs (supervisord sends stopsignal, then SIGKILL after stopwaitsecs)', 'convoy stop web monprog'],
  ['restart', 'stop then start programs on every host of the target', 'convoy restart web mesprogrammes:monprog1'],
];

// start, stop and restart: the same flags and help around their own summary and example.
function registerControls(program: Command, context: CommandContext): void {
  for (const [action, summary, example] of controls) {
    const command = program.command(`${action} <target> [programs...]`).description(summary);
    addRollingFlags(command, {
      rolling: 'hosts at a time (a batch must pass its health gate before the next starts)',
      canary: 'hosts in a first batch of their own',
      maxFail: 'failed or unreachable hosts the whole run may absorb (default 0)',
    })
      .option('--lock-wait <duration>', lockWaitHelp, lockWaitDuration)
      .addHelpText(
        'after',
        `\nPrograms: group:name, group:* or an app (group) name; none = all.\n` +
          "A started program must still be RUNNING with the same PID a second later; an app's health check (tasks/) runs too.\n" +
          'Exit: 0 ok, 1 a host failed (or was skipped), 4 only unreachable hosts.\n\n' +
          `Examples:\n  ${example}\n  convoy ${action} web --rolling 25% --pause 5s`,
      )
      .action(async (target: string, programs: string[], opts: RollingFlags & { lockWait?: number }) => {
        const { controlCommand } = await import('../commands/control.ts');
        context.setExitCode(
          await controlCommand({
            action,
            target,
            programs,
            ...rollout(opts),
            lockWaitMs: opts.lockWait,
            interruption: context.interruption,
            ...context.fleet(),
          }),
        );
      });
  }
}

function registerLogs(program: Command, context: CommandContext): void {
  program
    .command('logs <target> <program>')
    .description("show the end of a program's log from every host, lines prefixed by host; -f follows")
    .option('-n, --lines <n>', 'lines to show from the end', integerOption(0, 100_000), 20)
    .option('-f, --follow', 'keep printing new lines until Ctrl-C', false)
    .option('--stderr', 'the stderr log instead of stdout', false)
    .addHelpText(
      'after',
      '\nExamples:\n  convoy logs web mesprogrammes:monprog1 -n 50\n  convoy logs web monprog -f --stderr',
    )
    .action(async (target: string, programName: string, opts: { lines: number; follow: boolean; stderr: boolean }) => {
      const { logsCommand } = await import('../commands/logs.ts');
      context.setExitCode(
        await logsCommand({
          target,
          program: programName,
          ...opts,
          ...context.fleet(),
          interruption: context.interruption,
        }),
      );
    });
}

function registerExec(program: Command, context: CommandContext): void {
  program
    .command('exec <target> [command...]')
    .description('run a shell command on every host of the target at once; output prefixed by host, then a summary')
    .option('--sudo', 'run it through sudo (non-interactive) when the login is not root', false)
    .addHelpText(
      'after',
      '\nThe words after -- are joined with spaces and run by the remote shell (like ssh).\n' +
        [
          'Exit: 0 all ok, 1 a host failed, 4 only unreachable hosts.',
          '',
          'Examples:',
          '  convoy exec web -- uptime',
          "  convoy -i inventories/sandbox.ini exec 'sandbox,!sandbox-2' -- 'df -h /srv | tail -1'",
          '  convoy exec all --sudo -- systemctl is-active supervisor',
        ].join('\n'),
    )
    .action(async (target: string, command: string[], opts: { sudo: boolean }) => {
      const { execCommand } = await import('../commands/exec.ts');
      context.setExitCode(
        await execCommand({ target, command, sudo: opts.sudo, ...context.fleet(), stderr: context.stderr }),
      );
    });
}

const stateDirOption = () =>
  new Option('--state-dir <dir>', 'directory that holds every file of the fleet').default('.convoy/sandbox');

// `sandbox up|down|status`: local files and processes, so they take cwd and output but none of the fleet's flags.
function registerSandbox(program: Command, context: CommandContext): void {
  const sandbox = program
    .command('sandbox')
    .description('a local fleet of real sshd + supervisord hosts in Linux namespaces, for trying and testing (root)')
    .addHelpText(
      'after',
      '\nExamples:\n  convoy sandbox up --hosts 5\n  convoy -i inventories/sandbox.ini status sandbox\n  convoy sandbox down',
    );
  registerSandboxUp(sandbox, context);
  sandbox
    .command('down')
    .description('stop the hosts that `up` started (recorded PIDs only) and remove the state')
    .addOption(stateDirOption())
    .addHelpText('after', '\nExample:\n  convoy sandbox down')
    .action(async (opts: { stateDir: string }) => {
      const { sandboxDownCommand } = await import('../commands/sandbox.ts');
      context.setExitCode(await sandboxDownCommand({ ...opts, cwd: context.cwd, output: context.output() }));
    });
  sandbox
    .command('status')
    .description('show each sandbox host: process, sshd, supervisord, memory')
    .addOption(stateDirOption())
    .addHelpText('after', '\nExample:\n  convoy sandbox status --json')
    .action(async (opts: { stateDir: string }) => {
      const { sandboxStatusCommand } = await import('../commands/sandbox.ts');
      context.setExitCode(await sandboxStatusCommand({ ...opts, cwd: context.cwd, output: context.output() }));
    });
}

interface SandboxUpFlags {
  hosts: number;
  bare: boolean;
  flavor?: SandboxFlavor[];
  loginShell?: SandboxShell[];
  sudo?: SandboxSudo[];
  privateConf: boolean;
  socketAuth: boolean;
  stateDir: string;
  port: number;
  firstAddress: string;
  writeInventory?: string;
  sshCa: boolean;
}

function registerSandboxUp(sandbox: Command, context: CommandContext): void {
  sandbox
    .command('up')
    .description('start N hosts on 127.0.1.1… and write their inventory, client key and known_hosts')
    .option('--hosts <n>', 'number of hosts', integerOption(1, 1000), 3)
    .option('--bare', 'sshd only: no supervisord.conf and no supervisord running (for `convoy setup`)', false)
    .option(
      '--flavor <list>',
      `how Supervisor is laid out, assigned to hosts in turn: ${sandboxFlavors.join(', ')} (default debian)`,
      flavorList,
    )
    .option(
      '--login-shell <list>',
      'login shell of root and convoy, assigned to hosts in turn: bash, fish, tcsh',
      shellList,
    )
    .option(
      '--sudo <list>',
      "how sudo treats the login convoy, assigned to hosts in turn: nopasswd, password, nopasswd-tty, password-tty (-tty: sudoers' requiretty); such hosts log in as convoy with sudo = true",
      sudoModeList,
    )
    .option('--private-conf', "every host's supervisord.conf readable by its owner only (mode 0600)", false)
    .option('--socket-auth', "a username and password on every host's supervisord socket (HTTP 401 without)", false)
    .addOption(stateDirOption())
    .option('--port <port>', 'sshd port on each host address', integerOption(1, 65535), 22)
    .option('--first-address <ip>', 'address of the first host (127.x.y.z)', '127.0.1.1')
    .option(
      '--ssh-ca',
      'CA-signed host keys and user certificates only (@cert-authority, CertificateFile in <state-dir>/ssh_config): for transport = openssh',
      false,
    )
    .option(
      '--write-inventory <file>',
      'inventory to write (default inventories/sandbox.ini, or inside --state-dir when one is given)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  convoy sandbox up --hosts 10\n  convoy sandbox up --hosts 3 --bare --state-dir .convoy/bare --first-address 127.0.5.1',
    )
    .action(async (opts: SandboxUpFlags) => {
      const { sandboxUpCommand } = await import('../commands/sandbox.ts');
      context.setExitCode(
        await sandboxUpCommand({
          ...opts,
          flavors: opts.flavor,
          shells: opts.loginShell,
          sudo: opts.sudo,
          privateConf: opts.privateConf,
          socketAuth: opts.socketAuth,
          inventoryFile: opts.writeInventory,
          cwd: context.cwd,
          output: context.output(),
        }),
      );
    });
}

// `convoy ui`: the live dashboard (docs/ui.md).
function registerUi(program: Command, context: CommandContext): void {
  program
    .command('ui [target]')
    .description('a live dashboard of every program on every host, in the browser (loopback only; Ctrl-C stops it)')
    .option('--port <port>', 'port to serve on (default: any free port)', integerOption(0, 65535), 0)
    .option('--listen <address>', 'address to serve on; anything but loopback lets others reach it', '127.0.0.1')
    .option('--interval <duration>', 'how often each host is asked for its programs', watchDuration, 2000)
    .option('--open', 'start the browser on the URL', false)
    .addHelpText('after', '\nExamples:\n  convoy ui web\n  convoy ui all --port 8080 --interval 5s')
    .action(
      async (target: string | undefined, opts: { port: number; listen: string; interval: number; open: boolean }) => {
        const { uiCommand } = await import('../commands/ui.ts');
        context.setExitCode(
          await uiCommand({
            target: target ?? 'all',
            port: opts.port,
            listen: opts.listen,
            intervalMs: opts.interval,
            open: opts.open,
            interruption: context.interruption,
            ...context.fleet(),
          }),
        );
      },
    );
}

// `retry` and `runs`: the run journal in <project>/.convoy/runs/ (src/commands/retry.ts).
function registerRetry(program: Command, context: CommandContext): void {
  program
    .command('retry [run]')
    .description(
      'run a recorded multi-host command again on the hosts that failed, were unreachable, skipped or never reached ' +
        '(default: the last run); hosts that succeeded are not touched',
    )
    .addHelpText(
      'after',
      '\nThe command line runs again as it was given (its flags too). A deploy retried deploys the same release;\n' +
        'if the artifact changed since, it stops (exit 2) naming both digests.\n\n' +
        'Examples:\n  convoy retry\n  convoy runs\n  convoy retry 3f2a',
    )
    .action(async (run: string | undefined) => {
      const { retryCommand } = await import('../commands/retry.ts');
      const rerun = context.rerun;
      if (!rerun) throw new UsageError('retry: not available here');
      context.setExitCode(await retryCommand({ cwd: context.cwd, run, output: context.output(), rerun }));
    });
  program
    .command('runs')
    .description('list recent runs from the journal: when, who, the command line, hosts per outcome, interrupted')
    .option('-n, --count <n>', 'runs to list, newest first', integerOption(1, 1000), 10)
    .addHelpText('after', '\nExamples:\n  convoy runs\n  convoy runs -n 3 --json')
    .action(async (opts: { count: number }) => {
      const { runsCommand } = await import('../commands/retry.ts');
      context.setExitCode(runsCommand({ cwd: context.cwd, count: opts.count, output: context.output() }));
    });
}
