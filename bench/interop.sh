#!/usr/bin/env bash
# The interoperability benchmark (issue 16): one private server of each kind from Debian 12 (Dovecot 2.3, Cyrus IMAP 3.6,
#   Courier-IMAP 5.0), started by the tests' own fixtures (bench/MigrationPortal.BenchServers), the same corpus appended to
#   each, and for every ordered pair of them (source -> destination) in one run: our Full pass (the CLI), our no-change
#   Delta, mbsync (Debian's isync, any pair) with its no-change second run, and dsync (doveadm sync -1 -R from an imapc:
#   source) where the destination is Dovecot. Each tool copies into a destination user of its own, and every destination
#   is verified against its source, folders compared as the user sees them (Cyrus's INBOX.Archive.2019 is Archive/2019).
#
# usage: bench/interop.sh [MESSAGES] [--seed N] [--servers KIND,KIND...] [--keep]
#   MESSAGES   corpus size (default 2000: 14 folders, nested and non-ASCII names, sizes log-normal around 14 KB)
#   --servers  the kinds of server, at least two; default every kind bench/MigrationPortal.BenchServers knows (its list of
#              kinds is the one place a kind is added)
#   --keep     leave the work directory (outputs, verification reports, mbsync configs) behind
# Needs root (the servers' masters start as root and drop to their own users) and Debian: it installs what is missing,
# the servers' pieces through tests/setup-machine.sh (the tests' own, so a kind of server added there is covered).
# Prints a table (stderr) with one row per pair and one line per pair (stdout), ratios against the peers measured in the
# same run, never pass/fail on timing. Exits non-zero only when a run fails, our copy does not verify (SHA-256 included),
# or a peer's copy lost or duplicated mail; a peer's by-design differences (mbsync: new INTERNALDATEs, an X-TUID
# header, no keywords) are printed, not failed.
# One block, so bash reads all of it before running any (editing it while it runs cannot make it execute half-lines).
{
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

COUNT=2000 SEED=1 KEEP=0 KINDS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seed) SEED="$2"; shift 2 ;;
        --servers) IFS=, read -r -a KINDS <<<"$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        [0-9]*) COUNT="${1//,/}"; shift ;;
        *) echo "interop.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ ${#KINDS[@]} -ne 1 ]] || { echo "interop.sh: --servers needs at least two kinds" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "interop.sh: run as root (the servers' masters start as root)" >&2; exit 1; }

# log, now, elapsed, rate, ratio, install_missing, publish, timed, write_mbsyncrc, dsync_pull
source "$ROOT/bench/lib.sh"

# ------------------------------------------------------------------------------------------ packages
# Dovecot is also where dsync comes from, and its doveadm writes the dsync destinations; mbsync is isync.
install_missing dovecot-imapd isync clang zlib1g-dev
# The servers' own pieces (Cyrus's master and SASL tools, its imapd unpacked under /opt/mp-cyrus because cyrus-imapd
# conflicts with dovecot-imapd, the mpmail user of the Dovecot fixture): the tests' setup script installs what is missing
# (it also installs the other tests' Chromium and PostgreSQL) and does nothing else when all is there.
bash "$ROOT/tests/setup-machine.sh" >&2

WORK=$(mktemp -d /tmp/mp-interop.XXXXXX)
chmod 755 "$WORK"
HOLDER_PID=""
cleanup() {
    # Closing its input stops the servers process, which stops every server and deletes its files (up to half a minute).
    if [[ -n $HOLDER_PID ]]; then
        exec {SERVERS_IN}>&-
        for _ in $(seq 60); do kill -0 "$HOLDER_PID" 2>/dev/null || break; sleep 0.5; done
        kill "$HOLDER_PID" 2>/dev/null || true
    fi
    if [[ $KEEP -eq 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------ build
log "building the CLI and the bench tool (Release, native as bench/imap.sh builds them) and the servers holder"
: > "$WORK/build.log"
declare -a CLI TOOL
publish "$ROOT/src/MigrationPortal.Cli" "$WORK/cli" MigrationPortal.Cli CLI
CLI_BUILT_AS=$BUILT_AS
publish "$ROOT/bench/MigrationPortal.Bench" "$WORK/tool" MigrationPortal.Bench TOOL
dotnet build -c Release -v q -nologo "$ROOT/bench/MigrationPortal.BenchServers" -o "$WORK/servers" >>"$WORK/build.log" 2>&1 \
    || { log "the servers holder did not build; see $WORK/build.log"; KEEP=1; exit 1; }
log "the CLI built $CLI_BUILT_AS, the bench tool $BUILT_AS"
[[ ${#KINDS[@]} -gt 0 ]] || IFS=, read -r -a KINDS <<<"$(dotnet "$WORK/servers/MigrationPortal.BenchServers.dll" --list)"
tool() { "${TOOL[@]}" "$@"; }

# ------------------------------------------------------------------------------------------ servers
export BENCH_PASSWORD="bench-$(date +%s)-pw"
MIGRATE_SOURCE_PASSWORD=$BENCH_PASSWORD MIGRATE_DESTINATION_PASSWORD=$BENCH_PASSWORD
export MIGRATE_SOURCE_PASSWORD MIGRATE_DESTINATION_PASSWORD
SRC_USER=bench
# On every server: the source user, and per kind of source one destination user for each tool.
USERS=("$SRC_USER")
for k in "${KINDS[@]}"; do USERS+=("ours-$k" "mbsync-$k" "dsync-$k"); done
KINDS_CSV=$(IFS=,; echo "${KINDS[*]}")
USERS_CSV=$(IFS=,; echo "${USERS[*]}")
log "starting ${KINDS[*]} (tests/MigrationPortal.Fixtures) with ${#USERS[@]} users each"
coproc SERVERS { exec dotnet "$WORK/servers/MigrationPortal.BenchServers.dll" "$KINDS_CSV" --users "$USERS_CSV" 2>>"$WORK/servers.log"; }
# bash unsets SERVERS_PID once the process has ended; cleanup needs it after that too.
SERVERS_IN=${SERVERS[1]} HOLDER_PID=$SERVERS_PID
declare -A HOST_OF PORT_OF PREFIX_OF CONF_OF
while true; do
    line=""
    read -r -t 180 -u "${SERVERS[0]}" line || { log "the servers did not start; see $WORK/servers.log"; tail -5 "$WORK/servers.log" >&2; KEEP=1; exit 1; }
    [[ $line == ready ]] && break
    [[ $line == error:* ]] && { log "servers: $line"; KEEP=1; exit 1; }
    read -r kind host port prefix conf <<<"$line"
    HOST_OF[$kind]=$host PORT_OF[$kind]=$port PREFIX_OF[$kind]=${prefix#-} CONF_OF[$kind]=${conf#-}
    log "$kind on $host:$port (personal namespace '${PREFIX_OF[$kind]}')"
done
at() { echo "${HOST_OF[$1]}:${PORT_OF[$1]}"; }
label() { case "$1" in dovecot) echo Dovecot ;; cyrus) echo Cyrus ;; courier) echo Courier ;; *) echo "$1" ;; esac; }

# ------------------------------------------------------------------------------------------ corpus
# The same messages on every server, appended over IMAP (their storage is the servers' own), all servers at once.
log "appending the corpus to every server: $COUNT messages (seed $SEED)"
t0=$(now)
declare -A APPENDER_OF
for k in "${KINDS[@]}"; do
    tool corpus --imap "$(at "$k")" --user "$SRC_USER" --first 0 --count "$COUNT" --seed "$SEED" >"$WORK/corpus-$k.out" 2>&1 &
    APPENDER_OF[$k]=$!
done
for k in "${KINDS[@]}"; do
    wait "${APPENDER_OF[$k]}" || { log "appending the corpus to $k failed:"; tail -5 "$WORK/corpus-$k.out" >&2; KEEP=1; exit 1; }
done
log "corpus appended in $(elapsed "$t0" "$(now)") s"
# The first reader warms the page cache and the servers' caches for every tool after it; not timed. It also checks that
# the sources hold the same mail, so every pair copies the same corpus.
for k in "${KINDS[@]}"; do
    tool verify --source "$(at "${KINDS[0]}")" --source-user "$SRC_USER" --destination "$(at "$k")" --destination-user "$SRC_USER" --hashes >"$WORK/source-$k.txt" \
        || { log "the corpus on $k differs from ${KINDS[0]}'s:"; head -5 "$WORK/source-$k.txt" >&2; KEEP=1; exit 1; }
done
log "sources: $(head -1 "$WORK/source-${KINDS[0]}.txt")"

# ------------------------------------------------------------------------------------------ runs
declare -A SECONDS_OF MSGS_OF VERIFY_OF NOTE_OF
FAILED=0 TIMED_RC=0
verify() { # name source-kind destination-kind destination-user ours|peer [--hashes]: VERIFY_OF[name]
    local out rc=0
    out=$(tool verify --source "$(at "$2")" --source-user "$SRC_USER" --destination "$(at "$3")" --destination-user "$4" "${@:6}") || rc=$?
    printf '%s\n' "$out" > "$WORK/verify-$1.txt"
    case "$rc" in
        0) VERIFY_OF[$1]="verified" ;;
        # Every message there, once, in its folder; marked differently (a peer's by-design changes are not failed).
        1) VERIFY_OF[$1]="differs: $(head -1 <<<"$out" | sed 's/^[^:]*: //')"; [[ $5 == peer ]] || FAILED=1 ;;
        *) VERIFY_OF[$1]="MAIL MISSING OR EXTRA: $(head -1 <<<"$out" | sed 's/^[^:]*: //')"; FAILED=1 ;;
    esac
    log "verify $1: $(head -1 <<<"$out")"
    sed -n '2,7p' <<<"$out" | sed 's/^/        /' >&2
}
reason() { # name: why a run failed: for ours the CLI's summary (how many messages failed, the server's first answer),
    # for the others their last line of output that says something
    local text failed answer
    failed=$(grep -o '"messagesFailed":[0-9]*' "$WORK/$1.out" 2>/dev/null | cut -d: -f2 || true)
    answer=$(grep -o '"serverAnswer":"[^"]*"' "$WORK/$1.out" 2>/dev/null | head -1 | cut -d'"' -f4 || true)
    if [[ -n $failed && $failed != 0 ]]; then echo "$failed messages failed${answer:+: \"$answer\"}"; return; fi
    text=$(cat "$WORK/$1.err" "$WORK/$1.out" 2>/dev/null | grep -v -e 'Password is being sent in the clear' -e '^\s*$' | tail -1 | cut -c1-200)
    echo "${text:-exit status only}"
}
ran() { # name: "ok", or "failed: reason" when the last timed run failed
    if [[ $TIMED_RC -eq 0 ]]; then NOTE_OF[$1]=ok; else NOTE_OF[$1]="FAILED, exit $TIMED_RC: $(reason "$1")"; fi
}
engine_seconds() { grep -o '"durationSeconds":[0-9.]*' "$WORK/$1.out" | cut -d: -f2 || echo n/a; }

PAIRS=()
for src in "${KINDS[@]}"; do
    for dst in "${KINDS[@]}"; do
        [[ $src != "$dst" ]] || continue
        p="$src-$dst"
        PAIRS+=("$p")
        log "---- $(label "$src") -> $(label "$dst")"
        ours=(migrate --source "imap://$SRC_USER@$(at "$src")" --source-tls none --destination "imap://ours-$src@$(at "$dst")" --destination-tls none
            --state "$WORK/ours-$p.state.json" --json)
        timed "ours-full-$p" "$COUNT" "${CLI[@]}" "${ours[@]}"
        ran "ours-full-$p"
        verify "ours-full-$p" "$src" "$dst" "ours-$src" ours --hashes
        timed "ours-delta-$p" "$COUNT" "${CLI[@]}" "${ours[@]}" --pass delta
        ran "ours-delta-$p"
        log "ours-delta-$p copied $(grep -o '"messagesCopied":[0-9]*' "$WORK/ours-delta-$p.out" | cut -d: -f2); the pass itself took $(engine_seconds "ours-delta-$p") s"
        verify "ours-delta-$p" "$src" "$dst" "ours-$src" ours --hashes

        write_mbsyncrc "$WORK/mbsyncrc-$p" "$WORK/mbsync-state-$p" "${HOST_OF[$src]}" "${PORT_OF[$src]}" "$SRC_USER" "${HOST_OF[$dst]}" "${PORT_OF[$dst]}" "mbsync-$src"
        timed "mbsync-full-$p" "$COUNT" mbsync -c "$WORK/mbsyncrc-$p" -q migrate
        ran "mbsync-full-$p"
        verify "mbsync-full-$p" "$src" "$dst" "mbsync-$src" peer
        timed "mbsync-delta-$p" "$COUNT" mbsync -c "$WORK/mbsyncrc-$p" -q migrate
        ran "mbsync-delta-$p"

        if [[ $dst == dovecot ]]; then
            timed "dsync-full-$p" "$COUNT" dsync_pull "${CONF_OF[$dst]}" "${HOST_OF[$src]}" "${PORT_OF[$src]}" "$SRC_USER" "dsync-$src" "${PREFIX_OF[$src]}"
            ran "dsync-full-$p"
            verify "dsync-full-$p" "$src" "$dst" "dsync-$src" peer
        fi
    done
done

# ------------------------------------------------------------------------------------------ the table and the lines
# A failed run's cell is "FAILED [n]", its reason printed as note n right below the table (runs failing for the same
# reason share a note). Numbered here, in table order, outside the command substitutions that print the cells.
NOTES=()
declare -A CELL_OF
for p in "${PAIRS[@]}"; do
    for run in "ours-full-$p" "mbsync-full-$p" "dsync-full-$p" "ours-delta-$p" "mbsync-delta-$p"; do
        [[ -n ${NOTE_OF[$run]:-} && ${NOTE_OF[$run]} != ok ]] || continue
        for i in "${!NOTES[@]}"; do [[ ${NOTES[$i]#*: } != "${NOTE_OF[$run]}" ]] || { CELL_OF[$run]="FAILED [$((i + 1))]"; continue 2; }; done
        IFS=- read -r tool kind src dst <<<"$run"
        NOTES+=("$tool $kind, $(label "$src") -> $(label "$dst"): ${NOTE_OF[$run]}")
        CELL_OF[$run]="FAILED [${#NOTES[@]}]"
    done
done
msgs_per_s() { # name: the run's rate, or why there is none
    if [[ -z ${SECONDS_OF[$1]:-} ]]; then echo "-"
    elif [[ ${NOTE_OF[$1]} != ok ]]; then echo "${CELL_OF[$1]}"
    else rate "${MSGS_OF[$1]}" "${SECONDS_OF[$1]}"; fi
}
delta_s() { if [[ -n ${SECONDS_OF[$1]:-} && ${NOTE_OF[$1]} == ok ]]; then echo "${SECONDS_OF[$1]}"; else msgs_per_s "$1"; fi; }
numeric() { [[ $1 =~ ^[0-9.]+$ ]] && echo "$1" || echo n/a; }
{
    echo
    printf '%-20s %8s  %11s  %13s  %8s  %12s  %7s  %12s  %14s\n' pair messages "ours msgs/s" "mbsync msgs/s" "x mbsync" "dsync msgs/s" "x dsync" "ours delta s" "mbsync delta s"
    for p in "${PAIRS[@]}"; do
        src=${p%%-*} dst=${p#*-}
        o=$(msgs_per_s "ours-full-$p") m=$(msgs_per_s "mbsync-full-$p") d=$(msgs_per_s "dsync-full-$p")
        printf '%-20s %8s  %11s  %13s  %8s  %12s  %7s  %12s  %14s\n' "$(label "$src") -> $(label "$dst")" "$COUNT" "$o" "$m" \
            "$(ratio "$(numeric "$o")" "$(numeric "$m")")" "$d" "$( [[ $d == - ]] && echo - || ratio "$(numeric "$o")" "$(numeric "$d")")" \
            "$(delta_s "ours-delta-$p")" "$(delta_s "mbsync-delta-$p")"
    done
    for i in "${!NOTES[@]}"; do echo "[$((i + 1))] ${NOTES[$i]}"; done
    echo "($(sed 's/^verified: //' "$WORK/source-${KINDS[0]}.txt" | cut -d'(' -f1)on each server; the CLI built $CLI_BUILT_AS; x: ours over the peer's msgs/s;"
    echo " delta: a second pass with nothing new, the whole run; dsync only into Dovecot; verification reports in the work directory with --keep)"
} >&2
for p in "${PAIRS[@]}"; do
    src=${p%%-*} dst=${p#*-}
    o=$(numeric "$(msgs_per_s "ours-full-$p")") m=$(numeric "$(msgs_per_s "mbsync-full-$p")")
    if [[ ${NOTE_OF[ours-full-$p]} == ok ]]; then
        line="$(label "$src") -> $(label "$dst"): ours $o msgs/s ($(cut -d' ' -f1 <<<"${VERIFY_OF[ours-full-$p]:-not verified}"), Delta ${SECONDS_OF[ours-delta-$p]:-n/a} s, engine $(engine_seconds "ours-delta-$p") s)"
    else
        line="$(label "$src") -> $(label "$dst"): ours ${NOTE_OF[ours-full-$p]} (destination ${VERIFY_OF[ours-full-$p]:-not verified})"
    fi
    if [[ ${NOTE_OF[mbsync-full-$p]} == ok ]]; then
        line+="; mbsync $m msgs/s = $(ratio "$o" "$m") x, ${VERIFY_OF[mbsync-full-$p]:-not verified}, Delta ${SECONDS_OF[mbsync-delta-$p]} s"
    else
        line+="; mbsync ${NOTE_OF[mbsync-full-$p]}"
    fi
    if [[ -n ${NOTE_OF[dsync-full-$p]:-} ]]; then
        d=$(numeric "$(msgs_per_s "dsync-full-$p")")
        if [[ ${NOTE_OF[dsync-full-$p]} == ok ]]; then line+="; dsync $d msgs/s = $(ratio "$o" "$d") x, ${VERIFY_OF[dsync-full-$p]:-not verified}"
        else line+="; dsync ${NOTE_OF[dsync-full-$p]}"; fi
    fi
    echo "$line"
done
exit $FAILED
}
