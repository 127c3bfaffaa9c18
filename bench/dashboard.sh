#!/usr/bin/env bash
# The 10,000-mailbox project benchmark: the real portal process (published Release), once on PostgreSQL and once on
# SQLite, in the same run. Each: the project added through Bulk Add (two CSV files: half the mailboxes with passwords,
# half asking their users), then
#   dashboard  200 requests one after another (median, p99), and 20 clients for 10 s with Debian's wrk
#   start      Start pressed on all of them ("all matching"), timed until the dashboard with its report is back (the
#              request queues a large Start), and until the report says every mailbox was started (in the background)
#   emails     until a real SMTP server (the tests' SmtpSink) has accepted every credential email (one per asking mailbox)
# PostgreSQL is the tests' private server (tests/MigrationPortal.Fixtures: initdb under /tmp/mp-postgres, loopback).
#
# usage: bench/dashboard.sh [MAILBOXES] [--keep]      (MAILBOXES default 10000)
# Needs Debian's postgresql and wrk (installed when missing, as root). Prints one line per database, SQLite last, with
# PostgreSQL's numbers as ratios of SQLite's; never pass/fail on timing; exits non-zero when a run fails.
{
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=10000 KEEP=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        [0-9]*) COUNT="${1//,/}"; shift ;;
        *) echo "dashboard.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ $COUNT =~ ^[0-9]+$ && $COUNT -ge 2 ]] || { echo "dashboard.sh: MAILBOXES must be a number of at least 2" >&2; exit 2; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

need=()
for p in postgresql wrk; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "dashboard.sh: ${need[*]} missing; run as root to install them" >&2; exit 1; }
    log "installing ${need[*]}"
    made_policy=0
    # 101 = "do not start": installing postgresql must not start the system-wide cluster.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1; fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    [[ $made_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
fi

WORK=$(mktemp -d /tmp/mp-dashboard.XXXXXX)
chmod 755 "$WORK"
cleanup() { if [[ $KEEP -eq 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

log "publishing the portal and building the driver (Release)"
dotnet publish -c Release -v q -nologo "$ROOT/src/MigrationPortal.Web" -o "$WORK/portal" >"$WORK/build.log" 2>&1 \
    || { log "publish failed; see $WORK/build.log"; KEEP=1; exit 1; }
dotnet build -c Release -v q -nologo "$ROOT/bench/MigrationPortal.DashboardBench" -o "$WORK/driver" >>"$WORK/build.log" 2>&1 \
    || { log "build failed; see $WORK/build.log"; KEEP=1; exit 1; }

declare -A P50 P99 START STARTED EMAILS SENT WRK
for db in postgres sqlite; do
    log "$db: $COUNT mailboxes"
    sync
    out=$(dotnet "$WORK/driver/MigrationPortal.DashboardBench.dll" --portal "$WORK/portal" --database "$db" --mailboxes "$COUNT" --work "$WORK") \
        || { log "$db: the run failed; the portal's log: $WORK/portal-$db.log"; KEEP=1; exit 1; }
    read -r P50[$db] P99[$db] START[$db] STARTED[$db] EMAILS[$db] SENT[$db] <<<"$(sed -n 1p <<<"$out")"
    WRK[$db]=$(sed -n 2p <<<"$out")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "dashboard benchmark: $COUNT mailboxes (half asking their users), $(nproc) cores"
for db in postgres sqlite; do
    line="$db: dashboard p50 ${P50[$db]} ms, p99 ${P99[$db]} ms (20 clients: ${WRK[$db]}); start ${START[$db]} s (all started ${STARTED[$db]} s); emails ${EMAILS[$db]} s (${SENT[$db]} sent)"
    [[ $db == postgres ]] && line+=" = $(ratio "${P50[$db]}" "${P50[sqlite]}") x sqlite's dashboard p50, $(ratio "${START[$db]}" "${START[sqlite]}") x its start, $(ratio "${STARTED[$db]}" "${STARTED[sqlite]}") x its all started, $(ratio "${EMAILS[$db]}" "${EMAILS[sqlite]}") x its emails"
    echo "$line"
done
exit 0
}
