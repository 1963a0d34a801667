// The seed scenario: the home-made Java daemon fr.yax.monprog.Main, two instances in group `mesprogrammes`,
// stopped with SIGINT so that its shutdown hook runs (Supervisor sends SIGKILL only after stopwaitsecs).
// Build the artifact first: bash scripts/build-monprog.sh
import { defineApp } from 'convoy';

const java = (port: number) =>
  `/usr/bin/java -DrunDir={{root}} -cp "lib/*" fr.yax.monprog.Main --host {{address}} --port ${port}`;

export default defineApp({
  name: 'mesprogrammes',
  root: '/opt/monprog',
  artifact: 'build/monprog',
  programs: {
    monprog1: { command: java(1234), stopsignal: 'INT', stopwaitsecs: 10, priority: 500, startsecs: 2 },
    monprog2: { command: java(1235), stopsignal: 'INT', stopwaitsecs: 10, priority: 501, startsecs: 2 },
  },
  healthcheck: { tcp: '{{address}}:1235', timeout: '30s' },
});
