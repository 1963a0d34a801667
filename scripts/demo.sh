#!/usr/bin/env bash
# The README's first command: on a fresh Debian/Ubuntu machine (as root) install what is missing, build Convoy,
# bring up a local sandbox fleet of 3 real hosts (sshd + supervisord) and show that Convoy reaches every one.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "demo: the sandbox fleet needs root (Linux namespaces and mounts). Run: sudo npm run demo" >&2
  exit 2
fi
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null || missing+=(openssh-client)
command -v supervisord >/dev/null || missing+=(supervisor)
command -v sudo >/dev/null || missing+=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "demo: please install ${missing[*]} with your package manager, then run this again" >&2
    exit 2
  fi
  say "Installing ${missing[*]} (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing Node.js dependencies (npm ci)"
  npm ci --no-audit --no-fund --silent
fi
npm run build --silent

convoy() { node bin/convoy.js "$@"; }
if convoy sandbox status >/dev/null 2>&1; then
  say "A sandbox fleet is already up: reusing it (stop it with: npx convoy sandbox down)"
else
  say "Bringing up a sandbox fleet of 3 hosts"
  convoy sandbox down >/dev/null
  convoy sandbox up --hosts 3
fi
say "Fleet status"
convoy sandbox status
say "Convoy reaching every host over SSH (one connection per host, host keys checked against the sandbox's known_hosts)"
convoy -i inventories/sandbox.ini exec sandbox -- 'echo "$(hostname): supervisord pid $(supervisorctl pid) in its own PID namespace, $(id -un) login"'
say "convoy setup: Supervisor installed, socket group, running (a second run changes nothing)"
convoy -i inventories/sandbox.ini setup sandbox
say "convoy deploy: the example app (examples/hello, tasks/hello.ts), staged everywhere, then switched one host at a time"
convoy -i inventories/sandbox.ini deploy sandbox hello
say "convoy restart --rolling 1: one host at a time, each health-gated"
convoy -i inventories/sandbox.ini restart sandbox hello --rolling 1
say "convoy status: every program on every host"
convoy -i inventories/sandbox.ini status sandbox
say "Done. Inventory: inventories/sandbox.ini. Stop the fleet with: npx convoy sandbox down"
