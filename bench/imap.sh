#!/usr/bin/env bash
# The loopback IMAP benchmark: two private Dovecot servers, a deterministic corpus, and in one run
#   our Full pass (the CLI), our no-change Delta, our Delta after 1 % new mail, one Full through the portal (on a
#   portal that has run one pass since it started; that first pass is shown too), a no-change Delta after it, and
#   20 mailboxes at once through it (bench/portal.sh: its peak RSS),
#   mbsync (Debian's isync), dsync (doveadm sync -1 -R from an imapc: source), and the ceiling (a bare
#   FETCH -> APPEND copy over the engine's connections and raw APPEND writer, no bookkeeping). The destination is
#   verified against the source after every run.
#
# usage: bench/imap.sh [MESSAGES] [--scale] [--seed N] [--folders-at-once N] [--instances] [--keep]
#   MESSAGES           corpus size (default 5000; --scale: 100000 small messages of 1-5 KB; --instances: 400)
#   --folders-at-once  folders copied at once (1-8, default the engine's 2) by our CLI, the portal and the ceiling
#   --instances        instead of the runs above, 50 mailboxes (MESSAGES each) through the portal on PostgreSQL, with one
#                      instance and then with two on one database, 10 at once in both (bench/instances.sh)
#   --keep             leave the work directory (configs, logs, outputs) behind
# Needs root (Dovecot starts as root and drops to its own users) and Debian (it installs what is missing).
# Prints ratios, never pass/fail on timing; exits non-zero only when a run fails or our copy does not verify.
# The whole script is one block, so bash reads all of it before running any: editing this file while a benchmark runs
# (bash otherwise reads a script as it goes) cannot make the running one execute half-lines.
{
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

COUNT="" SCALE=0 SEED=1 KEEP=0 LANES=2 INSTANCES=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --scale) SCALE=1; shift ;;
        --seed) SEED="$2"; shift 2 ;;
        --folders-at-once) LANES="$2"; shift 2 ;;
        --instances) INSTANCES=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        [0-9]*) COUNT="${1//,/}"; shift ;;
        *) echo "imap.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ $LANES =~ ^[1-8]$ ]] || { echo "imap.sh: --folders-at-once must be 1 to 8, not '$LANES'" >&2; exit 2; }
if [[ -z $COUNT ]]; then
    if [[ $SCALE -eq 1 ]]; then COUNT=100000; elif [[ $INSTANCES -eq 1 ]]; then COUNT=400; else COUNT=5000; fi
fi
[[ $(id -u) -eq 0 ]] || { echo "imap.sh: run as root (Dovecot's master starts as root)" >&2; exit 1; }

# log, now, elapsed, rate, ratio, install_missing, publish, timed, write_mbsyncrc, dsync_pull
source "$ROOT/bench/lib.sh"

# ------------------------------------------------------------------------------------------ packages, users
# clang (and zlib's headers) link the native (Native AOT) CLI and ceiling; without them the bench falls back to ReadyToRun.
install_missing dovecot-imapd isync time clang zlib1g-dev
MAIL_OS_USER=mpbench
id "$MAIL_OS_USER" >/dev/null 2>&1 || useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$MAIL_OS_USER"
MUID=$(id -u "$MAIL_OS_USER"); MGID=$(id -g "$MAIL_OS_USER")

WORK=$(mktemp -d /tmp/mp-bench.XXXXXX)
chmod 755 "$WORK"
cleanup() {
    for inst in src dst; do
        [[ -f $WORK/$inst/run/master.pid ]] && kill "$(cat "$WORK/$inst/run/master.pid")" 2>/dev/null || true
    done
    # bench/portal.sh runs in a subshell and stops its portal itself; this is for an imap.sh interrupted meanwhile.
    # shellcheck disable=SC2046 # one portal process id a line (bench/instances.sh starts two)
    [[ -f $WORK/portal.pid ]] && kill $(cat "$WORK/portal.pid") 2>/dev/null || true
    sleep 1
    if [[ $KEEP -eq 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------ build
log "building $([[ $INSTANCES -eq 1 ]] || echo "the CLI and ")the bench tool (Release)"
: > "$WORK/build.log"
declare -a CLI TOOL
# --instances runs only the portal: the CLI is not needed.
[[ $INSTANCES -eq 1 ]] || publish "$ROOT/src/MigrationPortal.Cli" "$WORK/cli" MigrationPortal.Cli CLI
CLI_BUILT_AS=${BUILT_AS:-}
# --instances times only the portal, and the tool (its driver and verifier) need not be native: no minutes of linking.
publish "$ROOT/bench/MigrationPortal.Bench" "$WORK/tool" MigrationPortal.Bench TOOL $((1 - INSTANCES))
log "$([[ $INSTANCES -eq 1 ]] || echo "the CLI built $CLI_BUILT_AS, ")the bench tool and its ceiling $BUILT_AS"
tool() { "${TOOL[@]}" "$@"; }

# ------------------------------------------------------------------------------------------ two Dovecot servers
export BENCH_PASSWORD="bench-$(date +%s)-pw"
read -r SRC_PORT DST_PORT < <(tool ports --count 2)
SRC_USER=bench
PORTAL_AT_ONCE=20
DST_USERS=(ours portalfirst portal mbsync dsync ceiling $(seq -f 'portal%02g' 1 "$PORTAL_AT_ONCE"))
# bench/instances.sh: one destination user per mailbox, for the run with one instance and for the run with two.
MAILBOXES_OF_INSTANCES=50
[[ $INSTANCES -eq 1 ]] && DST_USERS=($(seq -f 'one%02g' 1 "$MAILBOXES_OF_INSTANCES") $(seq -f 'two%02g' 1 "$MAILBOXES_OF_INSTANCES"))

write_conf() { # instance port users...
    local inst=$1 port=$2 d="$WORK/$1"; shift 2
    mkdir -p "$d/run" "$d/state" "$d/mail"
    chown "$MAIL_OS_USER:$MAIL_OS_USER" "$d/mail"
    : > "$d/passwd"
    for u in "$@"; do printf '%s:{PLAIN}%s:%s:%s::%s/mail/%s::\n' "$u" "$BENCH_PASSWORD" "$MUID" "$MGID" "$d" "$u" >> "$d/passwd"; done
    chmod 644 "$d/passwd"
    cat > "$d/dovecot.conf" <<EOF
# Written by bench/imap.sh: a private instance on loopback, nothing else touched.
instance_name = mp-bench-$inst-$$
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = $MUID
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
mail_privileged_group =
namespace inbox {
  inbox = yes
  separator = /
  prefix =
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Junk {
    special_use = \\Junk
  }
  mailbox Trash {
    special_use = \\Trash
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $d/passwd
}
protocol imap {
  mail_max_userip_connections = 200
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service imap {
  vsz_limit = 1G
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
}
write_conf src "$SRC_PORT" "$SRC_USER"
write_conf dst "$DST_PORT" "${DST_USERS[@]}"
SRC_CONF="$WORK/src/dovecot.conf" DST_CONF="$WORK/dst/dovecot.conf"

start_dovecot() {
    dovecot -c "$WORK/$1/dovecot.conf"
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "imap.sh: dovecot $1 did not start; see $WORK/$1/dovecot.log" >&2; tail -5 "$WORK/$1/dovecot.log" >&2; exit 1
}

# ------------------------------------------------------------------------------------------ corpus
log "writing the corpus: $COUNT messages (seed $SEED$([[ $SCALE -eq 1 ]] && echo ', small'))"
t0=$(now)
CORPUS_LINE=$(tool corpus --maildir "$WORK/src/mail/$SRC_USER/Maildir" --count "$COUNT" --seed "$SEED" $([[ $SCALE -eq 1 ]] && echo --small))
chown -R "$MAIL_OS_USER:$MAIL_OS_USER" "$WORK/src/mail/$SRC_USER"
t1=$(now)
start_dovecot src "$SRC_PORT"
start_dovecot dst "$DST_PORT"
# Dovecot gives the files their UIDs and builds its indexes at the first look: done now, so no timed run pays for it.
doveadm -c "$SRC_CONF" force-resync -u "$SRC_USER" '*'
doveadm -c "$SRC_CONF" index -u "$SRC_USER" '*'
t2=$(now)
log "$CORPUS_LINE; written in $(elapsed "$t0" "$t1") s, indexed by Dovecot in $(elapsed "$t1" "$t2") s"
# The first reader warms the page cache and Dovecot's cache file for every tool after it; this run is not timed.
tool verify --source "127.0.0.1:$SRC_PORT" --source-user "$SRC_USER" --destination "127.0.0.1:$SRC_PORT" --destination-user "$SRC_USER" >/dev/null

# ------------------------------------------------------------------------------------------ runs
declare -A SECONDS_OF MSGS_OF VERIFY_OF
FAILED=0
verify() { # name destination-user [--hashes]
    local out
    if out=$(tool verify --source "127.0.0.1:$SRC_PORT" --source-user "$SRC_USER" --destination "127.0.0.1:$DST_PORT" --destination-user "$2" "${@:3}"); then
        VERIFY_OF[$1]="verified"
    else
        VERIFY_OF[$1]="differs"
    fi
    printf '%s\n' "$out" > "$WORK/verify-$1.txt"
    log "verify $1: $(head -1 <<<"$out")"
    sed -n '2,7p' <<<"$out" | sed 's/^/        /' >&2
}
ours() { # state-file extra-args...
    "${CLI[@]}" migrate --source "imap://$SRC_USER@127.0.0.1:$SRC_PORT" --source-tls none \
        --destination "imap://ours@127.0.0.1:$DST_PORT" --destination-tls none --state "$1" --json --folders-at-once "$LANES" "${@:2}"
}
# --instances: the portal with one instance and with two (bench/instances.sh, in a subshell as bench/portal.sh); nothing else.
if [[ $INSTANCES -eq 1 ]]; then
    ( source "$ROOT/bench/instances.sh" ) || FAILED=1
    exit $FAILED
fi

copied() { grep -o '"messagesCopied":[0-9]*' "$WORK/$1.out" | cut -d: -f2; }
# The pass's own time from the CLI's JSON summary: the engine's work, without .NET's start-up or the logins.
engine_seconds() { grep -o '"durationSeconds":[0-9.]*' "$WORK/$1.out" | cut -d: -f2 || echo n/a; }

MIGRATE_SOURCE_PASSWORD=$BENCH_PASSWORD MIGRATE_DESTINATION_PASSWORD=$BENCH_PASSWORD
export MIGRATE_SOURCE_PASSWORD MIGRATE_DESTINATION_PASSWORD

# Ours: Full through the CLI, under /usr/bin/time for the peak RSS.
timed ours-full "$COUNT" /usr/bin/time -v -o "$WORK/ours-full.time" "${CLI[@]}" migrate \
    --source "imap://$SRC_USER@127.0.0.1:$SRC_PORT" --source-tls none \
    --destination "imap://ours@127.0.0.1:$DST_PORT" --destination-tls none --state "$WORK/ours.state.json" --json --folders-at-once "$LANES"
PEAK_RSS=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$WORK/ours-full.time" 2>/dev/null || echo n/a)
log "ours-full copied $(copied ours-full) messages, peak RSS ${PEAK_RSS} MB"
verify ours-full ours --hashes
[[ ${VERIFY_OF[ours-full]} == verified ]] || FAILED=1

timed ours-delta-nochange "$COUNT" ours "$WORK/ours.state.json" --pass delta
log "ours-delta-nochange copied $(copied ours-delta-nochange) messages; the pass itself took $(engine_seconds ours-delta-nochange) s"
verify ours-delta-nochange ours --hashes

# mbsync: pull everything into its own empty destination user; the sync state lives in its own directory.
write_mbsyncrc "$WORK/mbsyncrc" "$WORK/mbsync-state" 127.0.0.1 "$SRC_PORT" "$SRC_USER" 127.0.0.1 "$DST_PORT" mbsync
timed mbsync-full "$COUNT" mbsync -c "$WORK/mbsyncrc" -q migrate
verify mbsync-full mbsync
timed mbsync-delta-nochange "$COUNT" mbsync -c "$WORK/mbsyncrc" -q migrate
verify mbsync-delta-nochange mbsync

# dsync: doveadm writes the destination's storage directly, pulling from the source over IMAP (imapc:).
timed dsync-full "$COUNT" dsync_pull "$DST_CONF" 127.0.0.1 "$SRC_PORT" "$SRC_USER" dsync
verify dsync-full dsync

# The ceiling: a bare FETCH -> APPEND copy over the same lanes as ours (the engine's connections and APPEND writer).
timed ceiling "$COUNT" tool ceiling --source "127.0.0.1:$SRC_PORT" --source-user "$SRC_USER" --destination "127.0.0.1:$DST_PORT" --destination-user ceiling \
    --folders-at-once "$LANES"
log "ceiling copied over $(awk '{ print $4 }' "$WORK/ceiling.out") lane(s)"
verify ceiling ceiling

# The portal: one Full through the real portal, then a Delta with nothing new, their pass times from its own statistics,
# on a portal that has migrated one mailbox since it started (as a portal in service has: .NET compiles the code a pass
# runs, EF Core's queries and accessors among them, the first time it runs; that first pass is timed and shown too);
# then 20 mailboxes at once
# (each the whole source, into its own destination user) for the portal's peak RSS.
PORTAL_RATE="not measured" PORTAL_FIRST_RATE="not measured" PORTAL_RSS=n/a PORTAL_DELTA=n/a
if [[ -x "$ROOT/bench/portal.sh" ]]; then
    if PORTAL_ONE=$(source "$ROOT/bench/portal.sh"); then
        read -r PORTAL_SECONDS PORTAL_DELTA PORTAL_FIRST <<<"$PORTAL_ONE"
        PORTAL_RATE="$(rate "$COUNT" "$PORTAL_SECONDS") msgs/s"
        PORTAL_FIRST_RATE="$(rate "$COUNT" "$PORTAL_FIRST") msgs/s"
        SECONDS_OF[portal]=$PORTAL_SECONDS; MSGS_OF[portal]=$COUNT
        SECONDS_OF[portal-first-pass]=$PORTAL_FIRST; MSGS_OF[portal-first-pass]=$COUNT
        SECONDS_OF[portal-delta-nochange]=$PORTAL_DELTA; MSGS_OF[portal-delta-nochange]=$COUNT
        verify portal portal --hashes
        verify portal-first-pass portalfirst --hashes
        VERIFY_OF[portal-delta-nochange]=${VERIFY_OF[portal]} # the same destination, after both passes
        [[ ${VERIFY_OF[portal]} == verified && ${VERIFY_OF[portal-first-pass]} == verified ]] || FAILED=1
    else
        log "portal run failed; see $WORK/portal.log"; FAILED=1
    fi
    if PORTAL_MANY=$(source "$ROOT/bench/portal.sh" "$PORTAL_AT_ONCE"); then
        read -r PORTAL_RSS PORTAL_WALL _ <<<"$PORTAL_MANY"
        SECONDS_OF[portal-$PORTAL_AT_ONCE-at-once]=$PORTAL_WALL; MSGS_OF[portal-$PORTAL_AT_ONCE-at-once]=$((PORTAL_AT_ONCE * COUNT))
        # The first and the last of them; the passes in between ran the same code at the same time.
        verify "portal-$PORTAL_AT_ONCE-first" portal01 --hashes
        verify "portal-$PORTAL_AT_ONCE-last" "portal$PORTAL_AT_ONCE" --hashes
        if [[ ${VERIFY_OF[portal-$PORTAL_AT_ONCE-first]} == verified && ${VERIFY_OF[portal-$PORTAL_AT_ONCE-last]} == verified ]]; then
            VERIFY_OF[portal-$PORTAL_AT_ONCE-at-once]="verified (portal01, portal$PORTAL_AT_ONCE)"
        else
            VERIFY_OF[portal-$PORTAL_AT_ONCE-at-once]="differs"; FAILED=1
        fi
    else
        log "portal run with $PORTAL_AT_ONCE mailboxes failed; see $WORK/portal.log"; FAILED=1
    fi
fi

# Ours again after 1 % new mail (appended over IMAP, not timed).
NEW=$(( COUNT / 100 > 0 ? COUNT / 100 : 1 ))
tool corpus --imap "127.0.0.1:$SRC_PORT" --user "$SRC_USER" --first "$COUNT" --count "$NEW" --seed "$SEED" $([[ $SCALE -eq 1 ]] && echo --small) >/dev/null
timed ours-delta-new "$((COUNT + NEW))" ours "$WORK/ours.state.json" --pass delta
log "ours-delta-new copied $(copied ours-delta-new) of the $NEW new messages"
verify ours-delta-new ours --hashes
[[ ${VERIFY_OF[ours-delta-new]} == verified ]] || FAILED=1

# ------------------------------------------------------------------------------------------ the table and the line
{
    echo
    printf '%-22s %10s %10s   %s\n' run seconds msgs/s destination
    for run in ours-full ours-delta-nochange ours-delta-new portal portal-first-pass portal-delta-nochange "portal-$PORTAL_AT_ONCE-at-once" mbsync-full mbsync-delta-nochange dsync-full ceiling; do
        [[ -n ${SECONDS_OF[$run]:-} ]] || continue
        printf '%-22s %10s %10s   %s\n' "$run" "${SECONDS_OF[$run]}" "$(rate "${MSGS_OF[$run]}" "${SECONDS_OF[$run]}")" "${VERIFY_OF[$run]:--}"
    done
    echo "($CORPUS_LINE; folders at once: $LANES; CLI and ceiling built $CLI_BUILT_AS; delta rows: messages checked per second; portal rows: the pass's duration from the portal's statistics,"
    echo " and for $PORTAL_AT_ONCE at once Start to the last Completed, all their messages per second; verification details in the work directory with --keep)"
} >&2
OURS=$(rate "$COUNT" "${SECONDS_OF[ours-full]}")
R=$(ratio "$OURS" "$(rate "$COUNT" "${SECONDS_OF[dsync-full]}")")
S=$(ratio "$OURS" "$(rate "$COUNT" "${SECONDS_OF[mbsync-full]}")")
P=$(awk -v a="$OURS" -v b="$(rate "$COUNT" "${SECONDS_OF[ceiling]}")" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "n/a" }')
PORTAL_SHARE=$(awk -v a="${SECONDS_OF[portal]:-0}" -v b="${SECONDS_OF[ours-full]}" 'BEGIN { if (a > 0) printf "%.0f", 100 * b / a; else print "n/a" }')
echo "full $OURS msgs/s = $R x dsync, $S x mbsync, $P % of ceiling; delta-nochange ${SECONDS_OF[ours-delta-nochange]} s, engine $(engine_seconds ours-delta-nochange) s, portal $PORTAL_DELTA s (mbsync ${SECONDS_OF[mbsync-delta-nochange]} s); portal full $PORTAL_RATE = $PORTAL_SHARE % of ours (first pass after start-up $PORTAL_FIRST_RATE); peak RSS $PEAK_RSS MB (CLI), $PORTAL_RSS MB (portal, $PORTAL_AT_ONCE mailboxes at once); $LANES folders at once"
exit $FAILED
}
