#!/usr/bin/env bash
# npm run docs:check: opens the two documentation pages in headless Chromium (scripts/docs-check.ts). The browser
# is Debian's chromium package, installed here when missing, never one downloaded by an npm package; a Korean
# font comes with it, since the documents' examples are Korean.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-node.sh

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "docs:check needs root (or sudo) to install $*" >&2; exit 1
  fi
}
apt_install() {
  echo "installing $* (apt-get)..." >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM_PATH" ] || apt_install chromium
command -v fc-list >/dev/null && fc-list :lang=ko | grep -q . || apt_install fonts-nanum

exec node scripts/docs-check.ts "$@"
