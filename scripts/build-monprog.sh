#!/usr/bin/env bash
# Builds the seed's Java example into build/monprog/lib/monprog.jar (the artifact tasks/monprog.ts deploys).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v javac >/dev/null || ! command -v jar >/dev/null; then
  echo "build-monprog: needs a JDK (javac, jar): apt-get install -y default-jdk-headless" >&2
  exit 2
fi
rm -rf build/monprog build/monprog-classes
mkdir -p build/monprog/lib build/monprog-classes
javac -d build/monprog-classes examples/monprog/src/fr/yax/monprog/Main.java
jar --create --file build/monprog/lib/monprog.jar -C build/monprog-classes .
rm -rf build/monprog-classes
echo "build-monprog: build/monprog/lib/monprog.jar"
