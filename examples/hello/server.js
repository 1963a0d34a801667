// A tiny HTTP service for deploy tests: `/health` answers 200 (or 500 when the release has a FAIL_HEALTH file),
// `/` answers the release's VERSION. Stops cleanly on SIGTERM or SIGINT, logging it.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const host = option('host', '127.0.0.1');
const port = Number(option('port', '8080'));
const version = fs.readFileSync(path.join(__dirname, 'VERSION'), 'utf8').trim();
const unhealthy = fs.existsSync(path.join(__dirname, 'FAIL_HEALTH'));

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.statusCode = unhealthy ? 500 : 200;
    res.end(unhealthy ? 'unhealthy\n' : 'ok\n');
    return;
  }
  res.end(`${version}\n`);
});
server.listen(port, host, () => console.log(`hello ${version} listening on ${host}:${port} (pid ${process.pid})`));

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`Shutting down has been requested (${signal})`);
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
