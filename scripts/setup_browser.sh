#!/usr/bin/env bash
# Installs what the browser tests need from Debian: Chromium and a CJK font (for Chinese in the screenshots).
# Playwright drives this Chromium (executable /usr/bin/chromium); `playwright install` is never used.
# Idempotent: does nothing when both are present. Needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed" || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "setup_browser: ${missing[*]} missing; run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "setup_browser: installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ -x /usr/bin/chromium ] || { echo "setup_browser: /usr/bin/chromium still missing after apt-get" >&2; exit 1; }
echo "setup_browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium installed)"
