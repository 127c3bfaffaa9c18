# bench/instances.sh: `bench/imap.sh --instances [MESSAGES]`, the portal on PostgreSQL with one instance and with two.
# Sourced by bench/imap.sh in a subshell once its Dovecot servers run and the corpus is written (MESSAGES a mailbox,
# default 400 there), so it sees what bench/portal.sh does plus MAILBOXES_OF_INSTANCES; not run on its own.
# Two runs, each on a fresh database of the tests' private PostgreSQL (tests/MigrationPortal.Fixtures, held by
# bench/MigrationPortal.BenchPostgres: initdb under /tmp/mp-postgres, loopback only), each through bench/portal.sh:
#   one   one portal process, 50 mailboxes $SRC_USER -> one01..one50, 10 at once (project cap 10, Migration__MaxParallel 10)
#   two   two portal processes, A and B, on one database, 50 mailboxes -> two01..two50, 10 at once in all (project cap 10,
#         Migration__MaxParallel 5 each); the mailboxes are added and Started on A's admin pages, both workers claim them.
#         B starts once A listens, so that neither run's time includes the other's start-up.
# The same total parallelism in both, so the second run shows what a second process adds, not more mailboxes at once.
# Every destination is verified against the source (`tool verify --hashes`: counts, Message-IDs, flags, keywords,
# dates, sizes, SHA-256), two at once. stdout, one line:
#   instances: 1 instance 50 mailboxes R1 msgs/s (S1 s); 2 instances R2 msgs/s (S2 s) = X x one; claimed by A a, B b;
#   10 at once in both (...); M messages a mailbox, PostgreSQL, C cores, load average L1 and L2 as each run ended; verified V of 100
# msgs/s: all 50 mailboxes' messages over Start to the last Completed (the dashboard, read once a second); "claimed by":
# the passes each instance ran, from its log; the load average (one minute, ours included) because on a machine shared
# with a build the rates say more about that than about the portal. Exits non-zero when a run fails or a copy does not
# verify; never on timing.

MAILBOXES=${MAILBOXES_OF_INSTANCES:-50}
AT_ONCE=10
log "instances: building bench/MigrationPortal.BenchPostgres (the tests' private PostgreSQL)"
dotnet build -c Release -v q -nologo "$ROOT/bench/MigrationPortal.BenchPostgres" -o "$WORK/benchpostgres" >>"$WORK/build.log" 2>&1 \
    || { log "instances: build failed; see $WORK/build.log"; exit 1; }

# The server lives as long as this process: it ends, stopping PostgreSQL and deleting its files, when its input closes.
coproc POSTGRES { exec dotnet "$WORK/benchpostgres/MigrationPortal.BenchPostgres.dll" 2>>"$WORK/postgres.log"; }
POSTGRES_IN=${POSTGRES[1]} POSTGRES_OUT=${POSTGRES[0]}
postgres_stop() { exec {POSTGRES_IN}>&- ; wait "$POSTGRES_PID" 2>/dev/null || true; }
trap postgres_stop EXIT
postgres() { # command...: one answer line on stdout
    local answer
    echo "$*" >&"$POSTGRES_IN"
    read -r -t 180 -u "$POSTGRES_OUT" answer || { log "instances: PostgreSQL did not answer '$1'; see $WORK/postgres.log"; return 1; }
    [[ $answer != error:* ]] || { log "instances: $answer"; return 1; }
    printf '%s\n' "$answer"
}

# Not PASSES or the like: bench/portal.sh, sourced in a subshell, would write into this script's arrays of the same name.
declare -A RUN_WALL RUN_CLAIMS RUN_VERIFIED RUN_LOAD
FAILED=0
for instances in 1 2; do
    prefix=$([[ $instances -eq 1 ]] && echo one || echo two)
    created=$(postgres create) || exit 1
    read -r database connection <<<"$created"
    log "instances: $instances instance(s), $MAILBOXES mailboxes, $AT_ONCE at once, on the new PostgreSQL database $database"
    if result=$(PORTAL_POSTGRES=$connection PORTAL_POSTGRES_NAME=$database PORTAL_INSTANCES=$instances PORTAL_PARALLEL=$AT_ONCE \
            PORTAL_USER_PREFIX=$prefix; source "$ROOT/bench/portal.sh" "$MAILBOXES"); then
        read -r _ wall claims <<<"$result" # the peak RSS of each instance is in the log
        RUN_WALL[$instances]=$wall RUN_CLAIMS[$instances]=$claims
    else
        log "instances: the run with $instances instance(s) failed; see $WORK/portal.log"; FAILED=1
        RUN_WALL[$instances]=n/a RUN_CLAIMS[$instances]=n/a
    fi
    # What else ran meanwhile: on a shared machine another build halves a run's rate, and the line should say so.
    RUN_LOAD[$instances]=$(cut -d' ' -f1 /proc/loadavg)
    postgres drop "$database" >/dev/null || true

    # Every destination, whole (SHA-256 too), two at once (one per core); only what differs is logged beyond the count.
    # (Waits name the verifiers: a bare wait would wait for the PostgreSQL holder too, which ends only with this script.)
    users=($(seq -f "$prefix%02g" 1 "$MAILBOXES")) verifiers=()
    for user in "${users[@]}"; do
        { if tool verify --source "127.0.0.1:$SRC_PORT" --source-user "$SRC_USER" --destination "127.0.0.1:$DST_PORT" --destination-user "$user" \
            --hashes >"$WORK/verify-$user.txt" 2>&1; then echo verified; else echo differs; fi >"$WORK/verify-$user.rc"; } &
        verifiers+=($!)
        [[ ${#verifiers[@]} -lt 2 ]] || { wait "${verifiers[@]}"; verifiers=(); }
    done
    [[ ${#verifiers[@]} -eq 0 ]] || wait "${verifiers[@]}"
    good=0
    for user in "${users[@]}"; do
        if [[ $(cat "$WORK/verify-$user.rc") == verified ]]; then
            good=$((good + 1))
        else
            log "instances: $user differs from the source:"; sed -n '1,7p' "$WORK/verify-$user.txt" | sed 's/^/        /' >&2
        fi
    done
    RUN_VERIFIED[$instances]=$good
    log "instances: $good of $MAILBOXES destinations (${prefix}01..$prefix$MAILBOXES) verified"
    [[ $good -eq $MAILBOXES ]] || FAILED=1
done

per_second() { [[ $1 == n/a ]] && echo n/a || rate "$((MAILBOXES * COUNT))" "$1"; }
ONE=$(per_second "${RUN_WALL[1]}") TWO=$(per_second "${RUN_WALL[2]}")
IFS=, read -r -a CLAIMED <<<"${RUN_CLAIMS[2]}"
echo "instances: 1 instance $MAILBOXES mailboxes $ONE msgs/s (${RUN_WALL[1]} s); 2 instances $TWO msgs/s (${RUN_WALL[2]} s) = $(ratio "$TWO" "$ONE") x one;" \
    "claimed by A ${CLAIMED[0]:-n/a}, B ${CLAIMED[1]:-n/a}; $AT_ONCE at once in both (project cap $AT_ONCE, Migration:MaxParallel $AT_ONCE, then $((AT_ONCE / 2)) per instance);" \
    "$COUNT messages a mailbox, PostgreSQL, $(nproc) cores, load average ${RUN_LOAD[1]} and ${RUN_LOAD[2]} as each run ended;" \
    "verified $((RUN_VERIFIED[1] + RUN_VERIFIED[2])) of $((2 * MAILBOXES))"
exit $FAILED
