import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostVars } from '../../../src/tasks/validate.ts';
import { validateApp } from '../../../src/tasks/validate.ts';
import type { NormalisedApp } from '../../../src/tasks/normalised.ts';

// `path: message` per problem, as the loader prints them after the file and app name.
function problems(spec: unknown, hosts?: HostVars[]): string[] {
  const result = validateApp(spec, hosts ? { hosts } : {});
  assert.equal(result.app, undefined, 'an app with problems must not be returned');
  return result.problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`));
}

function normalise(spec: unknown, hosts?: HostVars[]): NormalisedApp {
  const result = validateApp(spec, hosts ? { hosts } : {});
  assert.deepEqual(result.problems, []);
  assert.ok(result.app);
  return result.app;
}

const minimal = { name: 'web', root: '/srv/web', programs: { web: { command: 'node server.js' } } };

test('a minimal app gets every default', () => {
  assert.deepEqual(normalise(minimal), {
    name: 'web',
    root: '/srv/web',
    keepReleases: 5,
    logDir: '/srv/web/shared/log',
    programs: [
      {
        name: 'web',
        command: 'node server.js',
        numprocs: 1,
        directory: '/srv/web/current',
        environment: {},
        autostart: true,
        autorestart: true,
        startsecs: 1,
        startretries: 3,
        stopsignal: 'TERM',
        stopwaitsecs: 10,
        stopasgroup: true,
        killasgroup: true,
        redirect_stderr: false,
        stdout_logfile: '/srv/web/shared/log/web.out.log',
        stderr_logfile: '/srv/web/shared/log/web.err.log',
      },
    ],
    confFiles: [],
    hooks: {},
    secrets: [],
    shared: { dirs: [], files: [] },
    templates: [],
  });
});

test("the seed's example app (a Java daemon) normalises: durations in ms, amounts parsed, programs sorted by priority then name", () => {
  const app = normalise({
    name: 'monprog',
    hosts: 'web',
    root: '/opt/monprog',
    artifact: 'build/monprog.tar.gz',
    keepReleases: 3,
    logDir: '/var/log/monprog',
    programs: {
      zeta: { command: 'z', priority: 10 },
      monprog: {
        command: '/usr/bin/java -DrunDir={{root}} -cp "lib/*" fr.yax.monprog.Main --port {{port}}',
        numprocs: 2,
        stopsignal: 'INT',
        stopwaitsecs: 10,
        priority: 500,
        user: 'monprog',
        environment: { JAVA_OPTS: '-Xmx256m', A_PORT: 8080 },
      },
      beta: {
        command: 'b',
        redirect_stderr: true,
        autorestart: 'unexpected',
        exitcodes: [0, 2],
        umask: '022',
        startsecs: 0,
      },
      alpha: {
        command: 'a',
        process_name: 'alpha_%(process_num)d',
        numprocs: 2,
        stopasgroup: false,
        killasgroup: false,
      },
    },
    confFiles: ['conf/extra.conf'],
    healthcheck: { http: 'http://127.0.0.1:{{port}}/health', timeout: '30s' },
    rolling: { batch: '25%', pause: '5s', maxFail: 0 },
    hooks: { afterUpload: 'npm ci --omit=dev' },
  });
  assert.deepEqual(
    app.programs.map((p) => [p.name, p.priority]),
    [
      ['zeta', 10],
      ['monprog', 500],
      ['alpha', undefined],
      ['beta', undefined],
    ],
  );
  const [, monprog, alpha, beta] = app.programs;
  assert.equal(monprog?.process_name, '%(program_name)s_%(process_num)02d');
  assert.deepEqual(monprog?.environment, { A_PORT: '8080', JAVA_OPTS: '-Xmx256m' });
  assert.deepEqual(Object.keys(monprog?.environment ?? {}), ['A_PORT', 'JAVA_OPTS']);
  assert.equal(monprog?.stdout_logfile, '/var/log/monprog/monprog_%(process_num)02d.out.log');
  assert.equal(monprog?.stderr_logfile, '/var/log/monprog/monprog_%(process_num)02d.err.log');
  assert.equal(monprog?.user, 'monprog');
  assert.equal(alpha?.process_name, 'alpha_%(process_num)d');
  assert.equal(alpha?.stopasgroup, false);
  assert.equal(beta?.process_name, undefined);
  assert.equal(beta?.stderr_logfile, undefined);
  assert.equal(beta?.autorestart, 'unexpected');
  assert.deepEqual(beta?.exitcodes, [0, 2]);
  assert.equal(beta?.umask, '022');
  assert.equal(beta?.startsecs, 0);
  assert.equal(app.hosts, 'web');
  assert.equal(app.artifact, 'build/monprog.tar.gz');
  assert.equal(app.keepReleases, 3);
  assert.deepEqual(app.confFiles, ['conf/extra.conf']);
  assert.deepEqual(app.healthcheck, {
    kind: 'http',
    target: 'http://127.0.0.1:{{port}}/health',
    timeoutMs: 30_000,
    intervalMs: 1_000,
  });
  assert.deepEqual(app.rolling, {
    batch: { kind: 'percent', value: 25 },
    canary: 0,
    pauseMs: 5_000,
    maxFail: { kind: 'count', value: 0 },
  });
  assert.deepEqual(app.hooks, { afterUpload: 'npm ci --omit=dev' });
});

test('health check and rolling defaults', () => {
  const app = normalise({
    ...minimal,
    healthcheck: { tcp: '{{address}}:8080', interval: 0.5, retries: 4 },
    rolling: { canary: 1 },
  });
  assert.deepEqual(app.healthcheck, {
    kind: 'tcp',
    target: '{{address}}:8080',
    timeoutMs: 30_000,
    intervalMs: 500,
    retries: 4,
  });
  assert.deepEqual(app.rolling, {
    batch: { kind: 'count', value: 1 },
    canary: 1,
    pauseMs: 0,
    maxFail: { kind: 'count', value: 0 },
  });
  assert.deepEqual(normalise({ ...minimal, healthcheck: { command: 'curl -fsS localhost' } }).healthcheck, {
    kind: 'command',
    target: 'curl -fsS localhost',
    timeoutMs: 30_000,
    intervalMs: 1_000,
  });
});

test('an app of hand-written conf files needs no programs', () => {
  const app = normalise({ name: 'legacy', root: '/srv/legacy', confFiles: ['legacy.conf'] });
  assert.deepEqual(app.programs, []);
  assert.deepEqual(app.confFiles, ['legacy.conf']);
});

test('unknown keys at every level are reported with the closest known key', () => {
  assert.deepEqual(
    problems({
      ...minimal,
      keepRelease: 3,
      programs: { web: { comand: 'x', command: 'y', stopsignals: 'INT' } },
      healthcheck: { http: 'http://x/', timout: '5s' },
      rolling: { bach: 2 },
      hooks: { afterUplod: 'x' },
      whatever: 1,
    }),
    [
      "keepRelease: unknown key (did you mean 'keepReleases'?)",
      'whatever: unknown key (expected one of name, hosts, root, artifact, keepReleases, logDir, programs, confFiles, healthcheck, rolling, hooks, secrets, reload, processRestart, shared, templates, notify, fanout)',
      "programs.web.comand: unknown key (did you mean 'command'?)",
      "programs.web.stopsignals: unknown key (did you mean 'stopsignal'?)",
      "healthcheck.timout: unknown key (did you mean 'timeout'?)",
      "rolling.bach: unknown key (did you mean 'batch'?)",
      "hooks.afterUplod: unknown key (did you mean 'afterUpload'?)",
    ],
  );
});

test('the spec itself and its parts must be objects', () => {
  assert.deepEqual(problems('web'), ["expected an object, got 'web'"]);
  assert.deepEqual(problems(null), ['expected an object, got null']);
  assert.deepEqual(problems({ ...minimal, programs: [] }), ['programs: expected an object, got an array']);
  assert.deepEqual(problems({ ...minimal, programs: { web: 'node x' } }), [
    "programs.web: expected an object, got 'node x'",
  ]);
  assert.deepEqual(problems({ ...minimal, healthcheck: 'http://x' }), [
    "healthcheck: expected an object, got 'http://x'",
  ]);
  assert.deepEqual(problems({ ...minimal, rolling: 2 }), ['rolling: expected an object, got 2']);
  assert.deepEqual(problems({ ...minimal, hooks: () => undefined }), ['hooks: expected an object, got a function']);
});

test('name and root are required; a program needs a command; an app needs programs or conf files', () => {
  assert.deepEqual(problems({ programs: { web: { numprocs: 2 } } }), [
    "missing 'name' (required)",
    "missing 'root' (required)",
    "programs.web: missing 'command' (required)",
  ]);
  const none = "has neither 'programs' nor 'confFiles' (expected at least one program, or a hand-written .conf file)";
  assert.deepEqual(problems({ name: 'web', root: '/srv/web' }), [none]);
  assert.deepEqual(problems({ name: 'web', root: '/srv/web', programs: {}, confFiles: [] }), [none]);
});

test('app and program names must be safe as Supervisor section names and as path parts', () => {
  const rule = "expected 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit";
  assert.deepEqual(problems({ ...minimal, name: 'my app' }), [`name: 'my app' is not a valid app name (${rule})`]);
  assert.deepEqual(problems({ ...minimal, name: '..' }), [`name: '..' is not a valid app name (${rule})`]);
  assert.deepEqual(problems({ ...minimal, name: 'a'.repeat(65) }), [
    `name: '${'a'.repeat(65)}' is not a valid app name (${rule})`,
  ]);
  assert.deepEqual(problems({ ...minimal, name: '' }), ['name: must not be empty']);
  assert.deepEqual(problems({ ...minimal, name: 7 }), ['name: expected a string, got 7']);
  assert.deepEqual(
    problems({
      ...minimal,
      programs: { 'web:1': { command: 'x' }, '.': { command: 'x' }, '-x': { command: 'x' }, 'a/b': { command: 'x' } },
    }),
    [
      `programs.web:1: 'web:1' is not a valid program name (${rule})`,
      `programs..: '.' is not a valid program name (${rule})`,
      `programs.-x: '-x' is not a valid program name (${rule})`,
      `programs.a/b: 'a/b' is not a valid program name (${rule})`,
    ],
  );
  assert.equal(
    normalise({ ...minimal, name: 'a'.repeat(64), programs: { 'web_1.x-2': { command: 'x' } } }).programs[0]?.name,
    'web_1.x-2',
  );
});

test('root and logDir must be absolute, normalized and free of shell metacharacters', () => {
  const unsafe = (p: string) =>
    `'${p}' is not a safe absolute path (expected '/' followed by letters, digits, '_', '.', '-' and '/')`;
  const unnormalized = (p: string) =>
    `'${p}' is not a normalized path (expected no '.', '..' or empty parts, and no trailing '/')`;
  for (const root of ['srv/web', '/srv/my web', '/srv/$HOME', '/srv/a;b', '/', '~/web']) {
    assert.deepEqual(problems({ ...minimal, root }), [`root: ${unsafe(root)}`], root);
  }
  for (const root of ['/srv/../etc', '/srv/./web', '/srv//web', '/srv/web/']) {
    assert.deepEqual(problems({ ...minimal, root }), [`root: ${unnormalized(root)}`], root);
  }
  assert.deepEqual(problems({ ...minimal, logDir: 'log' }), [`logDir: ${unsafe('log')}`]);
  assert.deepEqual(problems({ ...minimal, logDir: '/var/log/../x' }), [`logDir: ${unnormalized('/var/log/../x')}`]);
});

test('numbers must be integers in range', () => {
  assert.deepEqual(
    problems({
      ...minimal,
      keepReleases: 0,
      programs: {
        web: {
          command: 'x',
          numprocs: 101,
          priority: 1.5,
          startsecs: -1,
          startretries: '3',
          stopwaitsecs: 2.5,
          exitcodes: [0, 256],
        },
        two: { command: 'x', numprocs: '2', exitcodes: [] },
      },
    }),
    [
      'keepReleases: 0 is not an integer from 1 to 100',
      'programs.web.numprocs: 101 is not an integer from 1 to 100',
      'programs.web.startsecs: -1 is not a whole number of seconds from 0 to 86400',
      "programs.web.startretries: '3' is not an integer from 0 to 100",
      'programs.web.stopwaitsecs: 2.5 is not a whole number of seconds from 0 to 86400',
      'programs.web.priority: 1.5 is not an integer',
      'programs.web.exitcodes[1]: 256 is not an exit code (an integer from 0 to 255)',
      "programs.two.numprocs: '2' is not an integer from 1 to 100",
      'programs.two.exitcodes: expected a non-empty array of exit codes, got an array',
    ],
  );
  assert.deepEqual(problems({ ...minimal, keepReleases: 101 }), ['keepReleases: 101 is not an integer from 1 to 100']);
});

test('booleans, stop signals, umask and user are checked', () => {
  assert.deepEqual(
    problems({
      ...minimal,
      programs: {
        web: {
          command: 'x',
          autostart: 'yes',
          autorestart: 'always',
          stopsignal: 'SIGTERM',
          redirect_stderr: 1,
          umask: '0x22',
          user: 'web user',
        },
      },
    }),
    [
      "programs.web.user: 'web user' is not a user name",
      "programs.web.autostart: 'yes' is not a boolean (expected true or false)",
      "programs.web.autorestart: 'always' is not valid (expected true, false or 'unexpected')",
      "programs.web.stopsignal: 'SIGTERM' is not a stop signal (expected one of TERM, HUP, INT, QUIT, KILL, USR1, USR2)",
      'programs.web.redirect_stderr: 1 is not a boolean (expected true or false)',
      "programs.web.umask: '0x22' is not an octal umask (expected e.g. '022')",
    ],
  );
});

test('option pairs Supervisor refuses or ignores are reported', () => {
  assert.deepEqual(
    problems({
      ...minimal,
      programs: {
        web: {
          command: 'x',
          stopasgroup: true,
          killasgroup: false,
          redirect_stderr: true,
          stderr_logfile: '/var/log/x.err',
        },
        many: { command: 'x', numprocs: 2, process_name: 'many' },
        named: { command: 'x', process_name: 'a b' },
      },
    }),
    [
      'programs.web.killasgroup: must be true when stopasgroup is true (Supervisor refuses the pair)',
      'programs.web.stderr_logfile: is ignored when redirect_stderr is true (remove one of them)',
      "programs.many.process_name: 'many' must contain %(process_num) when numprocs > 1 (e.g. '%(program_name)s_%(process_num)02d')",
      "programs.named.process_name: 'a b' is not a valid process_name (Supervisor refuses ' ', ':' and '/')",
    ],
  );
});

test('paths of a program are absolute (or start with a template)', () => {
  assert.deepEqual(
    problems({ ...minimal, programs: { web: { command: 'x', directory: 'app', stdout_logfile: 'out.log' } } }),
    [
      "programs.web.directory: 'app' is not an absolute path",
      "programs.web.stdout_logfile: 'out.log' is not an absolute path",
    ],
  );
  const app = normalise({
    ...minimal,
    programs: { web: { command: 'x', directory: '{{root}}/releases/x', stdout_logfile: '/var/log/web.log' } },
  });
  assert.equal(app.programs[0]?.directory, '{{root}}/releases/x');
  assert.equal(app.programs[0]?.stdout_logfile, '/var/log/web.log');
});

test('environment keys are shell variable names and values are strings or numbers Supervisor can quote', () => {
  assert.deepEqual(
    problems({
      ...minimal,
      programs: {
        web: {
          command: 'x',
          environment: {
            '1BAD': 'x',
            'MY-VAR': 'x',
            OK: true,
            NAN: Number.NaN,
            BOTH: `it's "x"`,
            ENDS: '"quoted"',
            COMMENT: 'a #b',
            NL: 'a\nb',
          },
        },
      },
    }),
    [
      "programs.web.environment.1BAD: '1BAD' is not a valid variable name (expected letters, digits and '_', not starting with a digit)",
      `programs.web.environment.BOTH: contains both ' and ", which Supervisor's environment syntax cannot quote`,
      "programs.web.environment.COMMENT: contains ' #', which Supervisor reads as the start of a comment (remove the space before '#')",
      'programs.web.environment.ENDS: starts or ends with a quote, which Supervisor strips',
      "programs.web.environment.MY-VAR: 'MY-VAR' is not a valid variable name (expected letters, digits and '_', not starting with a digit)",
      'programs.web.environment.NAN: expected a string or a number, got NaN',
      'programs.web.environment.NL: contains a line break (Supervisor reads one line per option)',
      'programs.web.environment.OK: expected a string or a number, got true',
    ],
  );
  assert.deepEqual(problems({ ...minimal, programs: { web: { command: 'x', environment: 'A=1' } } }), [
    "programs.web.environment: expected an object, got 'A=1'",
  ]);
});

test('values that cannot be written into a .conf line are reported before anything is uploaded', () => {
  assert.deepEqual(problems({ ...minimal, programs: { web: { command: "sh -c 'a ; b'", directory: '/srv/a\nb' } } }), [
    "programs.web.command: contains ' ;', which Supervisor reads as the start of a comment (remove the space before ';')",
    'programs.web.directory: contains a line break (Supervisor reads one line per option)',
  ]);
});

test("Supervisor's %(…) expansions must be ones it knows", () => {
  assert.deepEqual(
    problems({
      ...minimal,
      programs: { web: { command: 'x --port 80%(proces_num)02d %(foo)s', environment: { A: '%(bar)s' } } },
    }),
    [
      "programs.web.command: %(proces_num) is not one of Supervisor's expansions (did you mean 'process_num'?)",
      "programs.web.command: %(foo) is not one of Supervisor's expansions (expected one of here, program_name, host_node_name, group_name, process_num, numprocs or ENV_<variable>)",
      "programs.web.environment.A: %(bar) is not one of Supervisor's expansions (expected one of here, program_name, host_node_name, group_name, process_num, numprocs or ENV_<variable>)",
    ],
  );
  assert.equal(
    normalise({ ...minimal, programs: { web: { command: 'date +%Y %(ENV_HOME)s %(here)s', numprocs: 2 } } }).programs[0]
      ?.command,
    'date +%Y %(ENV_HOME)s %(here)s',
  );
  assert.deepEqual(normalise({ ...minimal, hooks: { afterSwitch: 'echo %(foo)s' } }).hooks, {
    afterSwitch: 'echo %(foo)s',
  });
});

test('durations name the key and the value', () => {
  const expected =
    "expected a duration of at most 596h (seconds, or a number with a unit: '10', '500ms', '2.5s', '1m')";
  assert.deepEqual(
    problems({
      ...minimal,
      healthcheck: { http: 'http://x/', timeout: '30 s', interval: '1d' },
      rolling: { pause: -5 },
    }),
    [
      `healthcheck.timeout: '30 s' is not valid (${expected})`,
      `healthcheck.interval: '1d' is not valid (${expected})`,
      `rolling.pause: -5 is not valid (${expected})`,
    ],
  );
});

test('a duration written as a string of digits is seconds, as in the inventory and on the command line', () => {
  const app = normalise({
    ...minimal,
    healthcheck: { http: 'http://x/', timeout: '10', interval: '0.5' },
    rolling: { pause: '10' },
  });
  assert.deepEqual([app.healthcheck?.timeoutMs, app.healthcheck?.intervalMs], [10_000, 500]);
  assert.equal(app.rolling?.pauseMs, 10_000);
});

test('a health check has exactly one of http, tcp or command, each well formed', () => {
  const exactlyOne = 'healthcheck: expected exactly one of http, tcp or command, got';
  assert.deepEqual(problems({ ...minimal, healthcheck: { timeout: '5s' } }), [`${exactlyOne} none`]);
  assert.deepEqual(problems({ ...minimal, healthcheck: { http: 'http://x/', tcp: 'x:1' } }), [
    `${exactlyOne} both http and tcp`,
  ]);
  assert.deepEqual(problems({ ...minimal, healthcheck: { http: 'https://x/' } }), [
    "healthcheck.http: 'https://x/' is not an http:// URL",
  ]);
  assert.deepEqual(problems({ ...minimal, healthcheck: { http: 'http://x y/' } }), [
    "healthcheck.http: 'http://x y/' is not an http:// URL",
  ]);
  assert.deepEqual(problems({ ...minimal, healthcheck: { http: 'localhost:80' } }), [
    "healthcheck.http: 'localhost:80' is not an http:// URL",
  ]);
  const hostPort = "is not host:port (e.g. '127.0.0.1:8080' or '{{address}}:{{port}}')";
  for (const tcp of ['localhost', 'localhost:0', 'localhost:65536', ':80', 'a b:80', 'x:{{port']) {
    assert.deepEqual(problems({ ...minimal, healthcheck: { tcp } }), [`healthcheck.tcp: '${tcp}' ${hostPort}`], tcp);
  }
  assert.deepEqual(problems({ ...minimal, healthcheck: { command: '' } }), ['healthcheck.command: must not be empty']);
  assert.deepEqual(problems({ ...minimal, healthcheck: { command: 'x', retries: 0 } }), [
    'healthcheck.retries: 0 is not an integer from 1 to 1000',
  ]);
  for (const tcp of ['127.0.0.1:8080', '[::1]:8080', '{{address}}:{{port}}', 'db.internal:5432']) {
    assert.equal(normalise({ ...minimal, healthcheck: { tcp } }).healthcheck?.target, tcp);
  }
  assert.equal(
    normalise({ ...minimal, healthcheck: { http: 'http://{{address}}:{{port}}/health?x=1' } }).healthcheck?.kind,
    'http',
  );
});

test('batch and maxFail are n or n% (the syntax only)', () => {
  const hint = "expected a whole number of hosts like 2, or a percentage like '25%'";
  assert.deepEqual(problems({ ...minimal, rolling: { batch: 0, maxFail: '120%', canary: -1 } }), [
    `rolling.batch: 0 is not valid (${hint}, more than 0)`,
    `rolling.maxFail: '120%' is not valid (${hint})`,
    'rolling.canary: -1 is not an integer from 0 to 1000',
  ]);
  assert.deepEqual(problems({ ...minimal, rolling: { batch: 'half' } }), [
    `rolling.batch: 'half' is not valid (${hint}, more than 0)`,
  ]);
  assert.deepEqual(normalise({ ...minimal, rolling: { batch: '3', maxFail: '10%' } }).rolling, {
    batch: { kind: 'count', value: 3 },
    canary: 0,
    pauseMs: 0,
    maxFail: { kind: 'percent', value: 10 },
  });
});

test('other strings and lists are type-checked', () => {
  assert.deepEqual(
    problems({ ...minimal, hosts: ['web'], artifact: 3, confFiles: 'a.conf', hooks: { afterUpload: 1 } }),
    [
      'hosts: expected a string, got an array',
      'artifact: expected a string, got 3',
      "confFiles: expected an array of strings, got 'a.conf'",
      'hooks.afterUpload: expected a string, got 1',
    ],
  );
  assert.deepEqual(problems({ ...minimal, confFiles: ['a.conf', 2] }), ['confFiles[1]: expected a string, got 2']);
});

const fleet: HostVars[] = [
  { name: 'web1', vars: { port: '8080', tier: 'a' } },
  { name: 'web2', vars: { port: '8081', tier: 'a' } },
  { name: 'web3', vars: { tier: 'b' } },
  { name: 'web4', vars: {} },
];

test('every {{var}} must be defined on every host of the target, or be a built-in', () => {
  const spec = {
    ...minimal,
    programs: {
      web: {
        command:
          'node server.js --host {{ address }} --port {{port}} --root {{root}} --release {{release}} --on {{host}} --as {{user}} --app {{app}}',
        directory: '{{root}}/x/{{tier}}',
        environment: { PORT: '{{port}}', TIER: '{{prot}}' },
        stdout_logfile: '/var/log/{{logname}}.log',
      },
    },
    healthcheck: { http: 'http://{{address}}:{{port}}/' },
    hooks: { afterUpload: "docker inspect -f '{{.State.Running}}' {{json .}} {{tier}}" },
  };
  assert.deepEqual(problems(spec, fleet), [
    'programs.web.command: {{port}} is not defined on hosts web3, web4 (defined on web1, web2)',
    'programs.web.directory: {{tier}} is not defined on host web4 (defined on web1, web2, web3)',
    'programs.web.environment.PORT: {{port}} is not defined on hosts web3, web4 (defined on web1, web2)',
    'programs.web.environment.TIER: {{prot}} is not defined: not a built-in, and no host of the target has it (did you mean {{port}}?)',
    'programs.web.stdout_logfile: {{logname}} is not defined: not a built-in, and no host of the target has it (built-ins: host, address, user, app, root, release)',
    'healthcheck.http: {{port}} is not defined on hosts web3, web4 (defined on web1, web2)',
    'hooks.afterUpload: {{tier}} is not defined on host web4 (defined on web1, web2, web3)',
  ]);
  assert.equal(normalise(spec, []).programs[0]?.environment.TIER, '{{prot}}', 'no hosts: variables are not checked');
  assert.equal(normalise(spec).programs[0]?.environment.TIER, '{{prot}}', 'no inventory: variables are not checked');
  const defined = { ...minimal, programs: { web: { command: 'x --port {{port}} {{tier}}' } } };
  assert.equal(normalise(defined, fleet.slice(0, 2)).programs[0]?.command, 'x --port {{port}} {{tier}}');
});

test('long host lists are cut after ten names', () => {
  const hosts: HostVars[] = Array.from({ length: 14 }, (_, i) => ({
    name: `h${i + 1}`,
    vars: i === 0 ? { port: '1' } : ({} as Record<string, string>),
  }));
  assert.deepEqual(problems({ ...minimal, programs: { web: { command: 'x {{port}}' } } }, hosts), [
    'programs.web.command: {{port}} is not defined on hosts h2, h3, h4, h5, h6, h7, h8, h9, h10, h11 and 3 more (defined on h1)',
  ]);
});

test('an inherited property is not a variable', () => {
  assert.deepEqual(
    problems({ ...minimal, programs: { web: { command: 'x {{constructor}}' } } }, [{ name: 'web1', vars: {} }]),
    [
      'programs.web.command: {{constructor}} is not defined: not a built-in, and no host of the target has it (built-ins: host, address, user, app, root, release)',
    ],
  );
});

test('hooks: beforeSwitchOnce as a command or { command, host }; batch hooks local or remote', () => {
  const hooks = normalise(
    {
      ...minimal,
      hooks: {
        beforeSwitchOnce: { command: './bin/migrate {{db}}', host: 'db' },
        beforeBatch: { local: 'lb drain $CONVOY_BATCH_HOSTS' },
        afterBatch: { remote: 'touch {{root}}/up' },
      },
    },
    [{ name: 'web1', vars: { db: 'main' } }],
  ).hooks;
  assert.deepEqual(hooks, {
    beforeSwitchOnce: { command: './bin/migrate {{db}}', host: 'db' },
    beforeBatch: { where: 'local', command: 'lb drain $CONVOY_BATCH_HOSTS' },
    afterBatch: { where: 'remote', command: 'touch {{root}}/up' },
  });
  assert.deepEqual(normalise({ ...minimal, hooks: { beforeSwitchOnce: './bin/migrate' } }).hooks, {
    beforeSwitchOnce: { command: './bin/migrate' },
  });
});

test('hooks: run-once and batch hooks name what is wrong', () => {
  assert.deepEqual(
    problems({
      ...minimal,
      hooks: {
        beforeSwitchOnce: { host: 'db', on: 'x' },
        beforeBatch: { local: 'a', remote: 'b' },
        afterBatch: 'lb enable',
      },
    }),
    [
      'hooks.beforeSwitchOnce.on: unknown key (expected one of command, host)',
      "hooks.beforeSwitchOnce: missing 'command' (required)",
      'hooks.beforeBatch: expected exactly one of local (on this machine) or remote (on each host), got both',
      "hooks.afterBatch: expected an object, got 'lb enable'",
    ],
  );
  assert.deepEqual(problems({ ...minimal, hooks: { beforeBatch: { local: 'lb drain {{host}}' } } }), [
    'hooks.beforeBatch.local: {{host}} is not templated (it runs once for the batch, on this machine): use $CONVOY_BATCH_HOSTS, $CONVOY_BATCH_ADDRESSES',
  ]);
  assert.deepEqual(
    problems({ ...minimal, hooks: { beforeSwitchOnce: { command: 'migrate {{dbb}}' } } }, [{ name: 'web1', vars: {} }]),
    [
      'hooks.beforeSwitchOnce.command: {{dbb}} is not defined: not a built-in, and no host of the target has it (built-ins: host, address, user, app, root, release)',
    ],
  );
});

test('reload and processRestart: a known signal, a known way, and not both', () => {
  assert.equal(normalise({ ...minimal, reload: 'HUP' }).reload, 'HUP');
  assert.equal(normalise({ ...minimal, processRestart: 'one-at-a-time' }).processRestart, 'one-at-a-time');
  assert.equal(normalise(minimal).reload, undefined);
  assert.deepEqual(problems({ ...minimal, reload: 'SIGHUP' }), [
    "reload: 'SIGHUP' is not one of HUP, USR1, USR2, QUIT, WINCH",
  ]);
  assert.deepEqual(problems({ ...minimal, processRestart: 'serial' }), [
    "processRestart: 'serial' is not one of together, one-at-a-time",
  ]);
  assert.deepEqual(problems({ ...minimal, reload: 'USR2', processRestart: 'one-at-a-time' }), [
    "processRestart: 'one-at-a-time' has no meaning with reload: a signal stops no process",
  ]);
});
