# Shell helpers shared by bench/imap.sh and bench/interop.sh (and the scripts they source); sourced, not run.
# Expects `set -euo pipefail`, WORK (the run's work directory) for publish and timed, and BENCH_PASSWORD for
# write_mbsyncrc and dsync_pull; timed writes the caller's SECONDS_OF, MSGS_OF and FAILED.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

install_missing() { # debian-package...: apt-get installs those not installed, starting no service
    local need=() p made_policy=0
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
    done
    [[ ${#need[@]} -gt 0 ]] || return 0
    log "installing ${need[*]}"
    # 101 = "do not start": installing dovecot-imapd must not start a system-wide Dovecot.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1; fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    [[ $made_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
    return 0
}

# Ours as an admin would install it: published as a native binary (Native AOT), so a run does not pay for .NET's start-up
# or for JIT-compiling the engine, which was most of a no-change Delta's time. The bench tool (corpus, verifier and the
# ceiling, which must be built as ours is to bound it) is published the same way. Where the native toolchain is missing,
# ReadyToRun (precompiled, with the runtime's JIT beside it), and a plain build where even that is not to be had.
RID="linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
R2R=(-r "$RID" --self-contained false -p:PublishReadyToRun=true)
export BENCH_R2R="${R2R[*]}"
publish() { # project output-dir assembly-name array-name [native: 1 (default) or 0]: sets the command that runs it in the array
    local -n run=$4
    local native=${5:-1}
    if [[ $native -eq 1 ]] && dotnet publish -c Release -v q -nologo -r "$RID" -p:PublishAot=true "$1" -o "$2" >>"$WORK/build.log" 2>&1; then
        run=("$2/$3"); BUILT_AS="native (Native AOT)"; return
    fi
    [[ $native -eq 0 ]] || log "native publish of $3 failed (see $WORK/build.log); ReadyToRun instead"
    if dotnet publish -c Release -v q -nologo "${R2R[@]}" "$1" -o "$2" >>"$WORK/build.log" 2>&1; then
        run=(dotnet "$2/$3.dll"); BUILT_AS="ReadyToRun"; return
    fi
    log "ReadyToRun publish of $3 failed too; a plain build"
    BENCH_R2R=""
    dotnet build -c Release -v q -nologo "$1" -o "$2" >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
    run=(dotnet "$2/$3.dll"); BUILT_AS="JIT"
}

timed() { # name messages command...: runs it, output in $WORK/name.out and .err, seconds in SECONDS_OF[name], exit status in TIMED_RC
    local name=$1 messages=$2; shift 2
    local a b
    # What earlier runs wrote goes to disk first, untimed: on this VM a run that starts while the last one's hundreds of
    # MB are still being written back ran up to twice as slow, whichever tool it was.
    sync
    a=$(now)
    local rc=0
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    if [[ $rc -ne 0 ]]; then
        log "$name FAILED (exit $rc); last lines of its output:"; tail -n 5 "$WORK/$name.err" "$WORK/$name.out" >&2 || true; FAILED=1
    fi
    b=$(now)
    SECONDS_OF[$name]=$(elapsed "$a" "$b"); MSGS_OF[$name]=$messages
    log "$name: ${SECONDS_OF[$name]} s, $(rate "$messages" "${SECONDS_OF[$name]}") msgs/s"
    TIMED_RC=$rc
}

write_mbsyncrc() { # file state-dir source-host source-port source-user destination-host destination-port destination-user
    # mbsync pulls everything into its own destination user (Sync Pull, Create Near, nothing expunged); its sync state
    # lives in its own directory. Every benchmark user's password is BENCH_PASSWORD.
    mkdir -p "$2"
    cat > "$1" <<EOM
IMAPAccount src
Host $3
Port $4
User $5
Pass $BENCH_PASSWORD
SSLType None
AuthMechs LOGIN

IMAPStore src
Account src

IMAPAccount dst
Host $6
Port $7
User $8
Pass $BENCH_PASSWORD
SSLType None
AuthMechs LOGIN

IMAPStore dst
Account dst

Channel migrate
Far :src:
Near :dst:
Patterns *
Create Near
Sync Pull
Expunge None
SyncState $2/
EOM
    chmod 600 "$1"
}

dsync_pull() { # destination-dovecot.conf source-host source-port source-user destination-user [source-list-prefix]
    # doveadm writes the destination's storage directly, pulling from the source over IMAP (imapc:). The prefix is the
    # source's personal namespace ("INBOX" on Cyrus and Courier, whose folders are INBOX.x): folders below it are synced
    # as top-level ones, as the user sees them; empty for a Dovecot source.
    doveadm -c "$1" \
        -o imapc_host="$2" -o imapc_port="$3" -o imapc_user="$4" -o imapc_password="$BENCH_PASSWORD" \
        -o imapc_features="rfc822.size fetch-headers" -o mail_prefetch_count=20 -o imapc_list_prefix="${6:-}" \
        sync -1 -R -u "$5" imapc:
}
