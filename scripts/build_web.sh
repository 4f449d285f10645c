#!/usr/bin/env bash
# Builds web/vendor/ (gitignored): the rasa-webchat bundle for the merchant page, installed with npm from
# web/package.json + web/package-lock.json into build/web-npm/, with the bundle's Google Fonts @import removed
# so that the page loads nothing from another host. Quick and silent when web/vendor/ is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

out=web/vendor
stamp="$out/.built-$(cat web/package.json web/package-lock.json scripts/build_web.sh | sha1sum | cut -c1-12)"
if [ -f "$stamp" ] && [ -f "$out/rasa-webchat.js" ]; then exit 0; fi

command -v npm >/dev/null 2>&1 || { echo "build_web: npm (Node.js) is required to build the web chat bundle" >&2; exit 1; }
work=build/web-npm
rm -rf "$work"
mkdir -p "$work"
cp web/package.json web/package-lock.json "$work/"
echo "build_web: installing rasa-webchat with npm (web/package-lock.json)"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

pkg="$work/node_modules/rasa-webchat"
version=$(node -p "require('./$pkg/package.json').version")
rm -rf "$out"
mkdir -p "$out"
# The widget's CSS starts with `@import url(https://fonts.googleapis.com/css?family=Inter...)`: drop every remote
# @import (the widget falls back to the page's sans-serif font, which has the CJK glyphs anyway).
sed -E 's#@import *(url\()?["'"'"']?(https?:)?//[^;]*;##g' "$pkg/lib/index.js" > "$out/rasa-webchat.js"
cp "$pkg/LICENSE" "$out/rasa-webchat.LICENSE"

# Nothing the page loads may point at another host: no font service, no remote CSS import or url().
if grep -q "fonts.googleapis" "$out/rasa-webchat.js" \
   || grep -Eq "@import *(url\()?[\"']?(https?:)?//|url\([\"']?(https?:)?//" "$out/rasa-webchat.js"; then
  echo "build_web: the bundle still references a remote stylesheet or font" >&2
  exit 1
fi
echo "rasa-webchat $version (Apache-2.0), Google Fonts import removed by scripts/build_web.sh" > "$out/README.txt"
touch "$stamp"
echo "build_web: built $out/rasa-webchat.js (rasa-webchat $version)"
