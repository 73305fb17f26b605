#!/usr/bin/env bash
# `npm test`: the type checks and every test layer (CI runs this). The type checks (tsc, then astro
# check over packages/web) run beside vitest rather than before it: each is one thread, and vitest
# spends its first seconds building the site, so the two together take about as long as the tests.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run typecheck &
typecheck=$!
npx vitest run "$@"
tests=$?
wait "$typecheck" || exit 1
exit "$tests"
