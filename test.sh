#!/usr/bin/env bash
# Runs every test of MigrationPortal. On Debian it first installs what the tests need when it is missing
# (as root, or through sudo): Dovecot for the real IMAP servers, Chromium for the browser tests, and the
# unprivileged user the private Dovecot instances keep mail as, and PostgreSQL. The portal's tests (Web.Tests) run twice:
# on SQLite, the embedded default, and on PostgreSQL. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
as_root bash tests/setup-machine.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test MigrationPortal.sln "$@" 2>&1 | tee "$log" || status=$?
# The portal's tests once more on PostgreSQL (a private server the tests start; see tests/setup-machine.sh).
echo "The portal's tests again, on PostgreSQL:"
PORTAL_TEST_DATABASE=Postgres dotnet test tests/MigrationPortal.Web.Tests --no-build "$@" 2>&1 | tee -a "$log" || status=$?

# One closing line for the whole suite, summed over the test assemblies.
awk '/^(Passed|Failed)!/ {
        for (i = 1; i <= NF; i++) {
            if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1)
        }
    }
    END { printf "Total: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
# A project that does not build runs no test and adds nothing to the counts: only the exit status says so.
[[ $status -eq 0 ]] || echo "test.sh: exit $status; a failure above may be a project that did not build (its tests are not counted)"
exit $status
