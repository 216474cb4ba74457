#!/usr/bin/env bash
# Makes sure the SP reference tools are on PATH for the SP interop tests (sp-*.int.spec.ts):
# nanocat (Debian's nanomsg-utils) and nngcat (nng-utils). Installs the missing packages with apt
# when we are root (CI); otherwise exits non-zero with instructions, and the interop suite fails
# (it never skips).
set -u
missing=()
command -v nanocat >/dev/null 2>&1 || missing+=(nanomsg-utils)
command -v nngcat >/dev/null 2>&1 || missing+=(nng-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-sp-tools: installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if command -v nanocat >/dev/null 2>&1 && command -v nngcat >/dev/null 2>&1; then
  echo "ensure-sp-tools: nanocat at $(command -v nanocat), nngcat at $(command -v nngcat)"
  exit 0
fi
echo "ensure-sp-tools: nanocat and/or nngcat are missing." >&2
echo "  Install them (apt-get install nanomsg-utils nng-utils)." >&2
exit 1
