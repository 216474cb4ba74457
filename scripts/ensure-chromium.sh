#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium is at /usr/bin/chromium (or $NANITE_CHROMIUM) for
# the Control Tower browser tests (playwright-core drives it; no browser is downloaded by npm).
# Installs the `chromium` package with apt when it is missing and we are root (CI); otherwise
# exits non-zero with instructions, and the browser suite fails (it never skips).
set -u
bin="${NANITE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$bin" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
if [ -x "$bin" ]; then
  echo "ensure-chromium: $("$bin" --version 2>/dev/null || echo chromium) at $bin"
  exit 0
fi
echo "ensure-chromium: $bin is missing. Install it (apt-get install chromium) or set NANITE_CHROMIUM." >&2
exit 1
