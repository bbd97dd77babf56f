#!/usr/bin/env bash
# The README's test command: the whole suite on a fresh machine. The console's tests drive Debian's
# headless Chromium over WebDriver, so the browser (chromium, chromium-driver) is installed first when
# it is missing (root, or sudo); then every test runs with the named fault points compiled in
# (`--features fault-injection`). Arguments go to cargo nextest (CI passes --no-fail-fast).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "test: installing Debian's chromium and chromium-driver for the console's browser tests"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver
fi
echo "test: $(/usr/bin/chromium --version 2>/dev/null | head -1); $(/usr/bin/chromedriver --version | head -1)"

exec cargo nextest run --features fault-injection "$@"
