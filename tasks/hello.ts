// The demo app: a small Node.js HTTP service (examples/hello) with a /health route, run by Supervisor on every host.
import { defineApp } from 'convoy';

export default defineApp({
  name: 'hello',
  root: '/srv/hello',
  artifact: 'examples/hello',
  keepReleases: 3,
  programs: {
    // Sandbox hosts share the machine's network, so each binds its own address.
    web: { command: '/usr/bin/node server.js --host {{address}} --port 8080', stopsignal: 'TERM', startsecs: 1 },
  },
  healthcheck: { http: 'http://{{address}}:8080/health', timeout: '20s' },
  rolling: { batch: 1 },
});
