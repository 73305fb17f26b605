#!/usr/bin/env bash
# Produces .sst/platform (SST's platform sources, types and node_modules) without downloading
# the Pulumi CLI or bun from GitHub, which `sst install` otherwise does on first run.
#
# How: SST runs with an isolated XDG_CONFIG_HOME inside the ignored project cache, so the
# user's real ~/.config/sst is never read or written. There the script places
#   - a fake `pulumi` that only answers `pulumi version` (all `sst install` checks), and
#   - the real bun binary from the npm package @oven/bun-<os>-<arch> at the exact version the
#     sst binary wants (it names it in its download URL; see BUN_VERSION below),
# then runs the real `sst install`, whose `bun install` of the platform's npm dependencies goes
# to the npm registry. Deploying still needs the real Pulumi CLI, the network and AWS.
#
# Idempotent: when .sst/platform/version already names the installed sst version and its
# node_modules exist, it exits at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Versions the sst binary asks for: pulumi v3.210.0 and bun-v1.2.1 (seen with `sst install
# --print-logs` on 3.18.10; the 3.19.3 binary embeds the same pulumi and @types/bun versions).
# Change them together with the sst version.
SST_VERSION="$(node -p 'require("./node_modules/sst/package.json").version')"
PULUMI_VERSION="3.210.0"
BUN_VERSION="1.2.1"
EXPECTED_SST="3.19.3"
if [ "$SST_VERSION" != "$EXPECTED_SST" ]; then
  echo "sst-platform: node_modules/sst is $SST_VERSION but this script knows the pulumi/bun versions of $EXPECTED_SST; update PULUMI_VERSION, BUN_VERSION and EXPECTED_SST" >&2
  exit 1
fi

# Test files that need the platform call this script at once (vitest runs them in parallel): one
# at a time, so the second finds the first's result instead of racing its `sst install`.
# (flock is util-linux; macOS has none, and there the race is left to chance.)
mkdir -p "$ROOT/.cache"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ROOT/.cache/sst-platform.lock"
  flock 9
fi

PLATFORM="$ROOT/.sst/platform"
if [ -f "$PLATFORM/version" ] && [ "$(cat "$PLATFORM/version")" = "$SST_VERSION" ] \
  && [ -f "$PLATFORM/config.d.ts" ] && [ -d "$PLATFORM/node_modules/@pulumi/aws" ] \
  && [ -d "$PLATFORM/node_modules/esbuild" ]; then
  exit 0
fi

CACHE="$ROOT/.cache/sst-home"
BIN="$CACHE/sst/bin"
mkdir -p "$BIN"

# Fake pulumi: `sst install` only runs `pulumi version` and compares the answer.
cat >"$BIN/pulumi" <<PULUMI
#!/bin/sh
# Stand-in written by scripts/sst-platform.sh: enough for \`sst install\`, not for deploys.
if [ "\$1" = "version" ]; then echo "v$PULUMI_VERSION"; exit 0; fi
echo "this is an offline stand-in for pulumi (scripts/sst-platform.sh); deploying needs the real CLI" >&2
exit 1
PULUMI
chmod +x "$BIN/pulumi"

# bun from the npm registry (the same binary as the GitHub release zip).
if [ ! -x "$BIN/bun" ] || [ "$("$BIN/bun" --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) PKG="@oven/bun-linux-x64" ;;
    Linux-aarch64) PKG="@oven/bun-linux-aarch64" ;;
    Darwin-x86_64) PKG="@oven/bun-darwin-x64" ;;
    Darwin-arm64) PKG="@oven/bun-darwin-aarch64" ;;
    *) echo "sst-platform: no bun package known for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
  esac
  PACK="$CACHE/pack"
  rm -rf "$PACK" && mkdir -p "$PACK"
  (cd "$PACK" && npm pack --silent "$PKG@$BUN_VERSION" >/dev/null)
  tar -xzf "$PACK"/*.tgz -C "$PACK"
  cp "$PACK/package/bin/bun" "$BIN/bun.tmp" && chmod +x "$BIN/bun.tmp" && mv "$BIN/bun.tmp" "$BIN/bun"
  rm -rf "$PACK"
fi

# A stage is required even by `sst install`; it creates nothing.
env XDG_CONFIG_HOME="$CACHE" \
  BUN_INSTALL_CACHE_DIR="$CACHE/bun-cache" \
  SST_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 \
  SST_STAGE="${SST_STAGE:-offline}" \
  "$ROOT/node_modules/.bin/sst" install

test -f "$PLATFORM/config.d.ts" || { echo "sst-platform: sst install finished but $PLATFORM/config.d.ts is missing" >&2; exit 1; }
