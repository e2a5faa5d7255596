#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
# Install it when we can; otherwise say why, and the browser tests skip with that reason
# (or fail, when RNNLAB_REQUIRE_BROWSER=1 as in CI).
set -u
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..."
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/tmp/rnnlab-chromium.log 2>&1; then
    echo "chromium installed: $(chromium --version 2>/dev/null)"
    exit 0
  fi
  echo "could not install chromium (see /tmp/rnnlab-chromium.log); browser tests will be skipped"
else
  echo "chromium is not installed and this user cannot apt-get install it; browser tests will be skipped"
  echo "(run: sudo apt-get install -y chromium)"
fi
exit 0
