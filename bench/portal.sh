# bench/portal.sh [MAILBOXES]: the portal's runs in the loopback benchmark. Sourced by bench/imap.sh (and by
# bench/instances.sh) in a subshell, so it sees WORK, ROOT, SRC_PORT, DST_PORT, SRC_USER, BENCH_PASSWORD, COUNT, LANES,
# log() and tool(); not run on its own.
#   (none)  two mailboxes one after the other on a freshly started portal, $SRC_USER -> portalfirst, then -> portal,
#           each a Full, then a Delta with nothing new for each; stdout: "FULL_SECONDS DELTA_SECONDS FIRST_SECONDS", all
#           from the portal's own statistics: the Full and Delta into portal (a portal in service, its code compiled
#           by .NET's JIT on first use already), and the first pass after start-up (into portalfirst), which pays for that
#   N > 1   N mailboxes at once, $SRC_USER -> portal01..portalNN (project cap and Migration__MaxParallel N);
#           stdout: "PEAK_RSS_MB WALL_SECONDS PASSES": the portal process's VmHWM, Start to the last Completed, and the
#           passes it ran (its log's "pass ended" lines)
# Each call publishes the portal once (Release, into $WORK/portal), starts the real portal process on a fresh SQLite file,
# and drives it over HTTP through the admin's pages (`tool portal`). Logs go to stderr and to $WORK/portal.log, the
# portal's own output to $WORK/portal.log too (with N > 1 to $WORK/portal-PHASE-A.log); passwords only ever travel in
# environment variables.
# With N > 1 the caller may set (bench/instances.sh does):
#   PORTAL_POSTGRES     a connection string: the portal runs on that PostgreSQL database instead of a SQLite file
#   PORTAL_INSTANCES    portal processes on that one database (default 1), started one after the other, named A, B, ...;
#                       the admin's pages are driven on A, every instance's worker migrates. Each line of stdout then
#                       holds their numbers comma-separated in that order ("212,190 31.20 26,24")
#   PORTAL_PARALLEL     mailboxes migrating at once in all (default N): the project's cap, and each instance's
#                       Migration__MaxParallel is PORTAL_PARALLEL / PORTAL_INSTANCES
#   PORTAL_USER_PREFIX  destination users PREFIX01..PREFIXNN instead of portal01..portalNN

# Sourced without arguments it would see its caller's: imap.sh has shifted all of its own away by then.
MAILBOXES=${1:-1}
[[ $MAILBOXES =~ ^[1-9][0-9]*$ ]] || { log "portal.sh: MAILBOXES must be a number, not '$MAILBOXES'"; exit 2; }
INSTANCES=${PORTAL_INSTANCES:-1}
[[ $INSTANCES =~ ^[1-9]$ && ($INSTANCES -eq 1 || $MAILBOXES -gt 1) ]] \
    || { log "portal.sh: PORTAL_INSTANCES must be 1 to 9 (more than 1 only with MAILBOXES > 1), not '$INSTANCES'"; exit 2; }
PLOG="$WORK/portal.log"
plog() { log "$*" 2>&1 | tee -a "$PLOG" >&2; }

if [[ ! -f $WORK/portal/MigrationPortal.Web.dll ]]; then
    plog "portal: publishing src/MigrationPortal.Web (Release)"
    # shellcheck disable=SC2086 # BENCH_R2R is imap.sh's ReadyToRun options, split on purpose (empty: a plain publish)
    dotnet publish -c Release -v q -nologo ${BENCH_R2R:-} "$ROOT/src/MigrationPortal.Web" -o "$WORK/portal" >>"$PLOG" 2>&1 \
        || { plog "portal: publish failed; see $PLOG"; exit 1; }
fi

if [[ $MAILBOXES -eq 1 ]]; then
    # The first pass after start-up (into portalfirst) as a round of its own; then the measured Full and Delta (into portal).
    PHASE=full FIRST=portalfirst USERS=portal PARALLEL=1 THEN=--then-delta
else
    PHASE=$MAILBOXES-at-once FIRST= USERS=$(seq -f "${PORTAL_USER_PREFIX:-portal}%02g" -s, 1 "$MAILBOXES") PARALLEL=${PORTAL_PARALLEL:-$MAILBOXES} THEN=
    [[ -n ${PORTAL_POSTGRES:-} ]] && PHASE+=-postgres
    [[ $INSTANCES -gt 1 ]] && PHASE+=-$INSTANCES-instances
fi
(( PARALLEL % INSTANCES == 0 )) || { log "portal.sh: PORTAL_PARALLEL ($PARALLEL) must be a multiple of PORTAL_INSTANCES ($INSTANCES)"; exit 2; }
NAMES=(A B C D E F G H I)
read -r -a PORTS < <(tool ports --count "$INSTANCES")
PORT=${PORTS[0]}
export PORTAL_ADMIN_EMAIL=admin@bench.test
# A fresh one per run; it meets Identity's rules (length, digit, upper, lower, symbol).
PORTAL_ADMIN_PASSWORD="Bench-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')-Pw1"
export PORTAL_ADMIN_PASSWORD

PORTAL_PIDS=() PORTAL_LOGS=()
portal_stop() {
    kill "${PORTAL_PIDS[@]}" 2>/dev/null || true
    wait "${PORTAL_PIDS[@]}" 2>/dev/null || true
    rm -f "$WORK/portal.pid"
}
trap portal_stop EXIT
rss_mb() { awk -v key="$2:" '$1 == key { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo n/a; }
each() { local -n of=$1; local out=() i; for i in "${!PORTAL_PIDS[@]}"; do out+=("${of[$i]}"); done; (IFS=,; echo "${out[*]}"); }

for ((i = 0; i < INSTANCES; i++)); do
    name=${NAMES[$i]} port=${PORTS[$i]}
    if [[ -n ${PORTAL_POSTGRES:-} ]]; then where="PostgreSQL database ${PORTAL_POSTGRES_NAME:-(given)}"; else where="database $WORK/portal-$PHASE.db"; fi
    who="portal ($PHASE)$([[ $INSTANCES -gt 1 ]] && echo " instance $name")"
    # One mailbox: the portal's output with the bench's own log, as it always was; more: a log of its own, whose
    # "pass ended" lines count the passes this process ran.
    if [[ $MAILBOXES -gt 1 ]]; then ilog="$WORK/portal-$PHASE-$name.log"; : > "$ilog"; else ilog=$PLOG; fi
    plog "$who: starting on 127.0.0.1:$port, $where, $((PARALLEL / INSTANCES)) at once, its output in $ilog"
    (
        # The publish folder as the working directory: its appsettings.json and wwwroot/ are the content root's.
        cd "$WORK/portal"
        if [[ -n ${PORTAL_POSTGRES:-} ]]; then
            export Database__Provider=Postgres ConnectionStrings__Portal="$PORTAL_POSTGRES"
        else
            export ConnectionStrings__Portal="Data Source=$WORK/portal-$PHASE.db"
        fi
        export Admin__Email="$PORTAL_ADMIN_EMAIL" Admin__Password="$PORTAL_ADMIN_PASSWORD"
        # Every instance answers for the same public address, as behind a load balancer (README: Running several instances).
        export Portal__PublicBaseUrl="http://127.0.0.1:$PORT"
        export Smtp__Host="" Smtp__PickupDirectory="$WORK/portal-mail"
        export Migration__MaxParallel=$((PARALLEL / INSTANCES))
        # Times on the portal's own lines, so what several instances did can be lined up afterwards.
        export Logging__Console__FormatterName=simple Logging__Console__FormatterOptions__TimestampFormat="HH:mm:ss.fff "
        # imap.sh's --folders-at-once, so the portal copies over as many lanes as the CLI; the portal's default otherwise.
        [[ -n ${LANES:-} ]] && export Migration__FoldersAtOnce="$LANES"
        exec dotnet MigrationPortal.Web.dll --urls "http://127.0.0.1:$port"
    ) >>"$ilog" 2>&1 &
    pid=$!
    PORTAL_PIDS+=("$pid") PORTAL_LOGS+=("$ilog")
    printf '%s\n' "${PORTAL_PIDS[@]}" > "$WORK/portal.pid"

    # Each listening before the next starts: the first brings the new database to the current migration and creates
    # the admin, the next find them done, as when an instance is added to a portal in service.
    for _ in $(seq 600); do
        kill -0 "$pid" 2>/dev/null || { plog "portal: the process ended at start-up; see $ilog"; exit 1; }
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { plog "portal: not listening on $port after 60 s; see $ilog"; exit 1; }
    # What the process holds before any page or pass: the floor under the peak below.
    plog "$who: listening, RSS $(rss_mb "$pid" VmRSS) MB after start-up"
done

rc=0
first=""
if [[ -n $FIRST ]]; then
    sync # as before every timed run (imap.sh's timed): what earlier runs wrote is on disk, not written during this one
    first=$(tool portal --url "http://127.0.0.1:$PORT" --source "127.0.0.1:$SRC_PORT" --source-user "$SRC_USER" \
        --destination "127.0.0.1:$DST_PORT" --destination-users "$FIRST" --max-concurrent "$PARALLEL" --pass Full \
        2> >(tee -a "$PLOG" >&2)) || rc=$?
fi
sync
out=$(tool portal --url "http://127.0.0.1:$PORT" --source "127.0.0.1:$SRC_PORT" --source-user "$SRC_USER" \
    --destination "127.0.0.1:$DST_PORT" --destination-users "$USERS" --max-concurrent "$PARALLEL" --pass Full $THEN \
    2> >(tee -a "$PLOG" >&2)) || rc=$?
out=$(printf '%s\n%s\n' "$first" "$out")
# The peak resident set of each portal process over its whole life, read before it is stopped; the passes each ran.
HWM_MB=() PASSES=()
for i in "${!PORTAL_PIDS[@]}"; do
    HWM_MB+=("$(rss_mb "${PORTAL_PIDS[$i]}" VmHWM)")
    PASSES+=("$(grep -c ': pass ended (' "${PORTAL_LOGS[$i]}" || true)")
    lost=$(grep -c 'lost its claim' "${PORTAL_LOGS[$i]}" || true)
    [[ $lost -eq 0 ]] || plog "portal ($PHASE): instance ${NAMES[$i]} lost $lost claims (see ${PORTAL_LOGS[$i]})"
done
printf '%s\n' "$out" > "$WORK/portal-$PHASE.txt"
ran=""
[[ $MAILBOXES -gt 1 ]] && ran=", passes run $(each PASSES)$([[ $INSTANCES -gt 1 ]] && echo " (instances $(each NAMES))")"
plog "portal ($PHASE): peak RSS $(each HWM_MB) MB$ran; per mailbox (user outcome kind copied seconds):"
sed 's/^/        /' "$WORK/portal-$PHASE.txt" | tee -a "$PLOG" >&2
[[ $rc -eq 0 ]] || { plog "portal ($PHASE): not every pass completed (exit $rc)"; exit 1; }

if [[ $MAILBOXES -eq 1 ]]; then
    awk '$1 == "portal" { full = $5 } $1 == "portalfirst" { first = $5 } $1 == "delta" && $2 == "portal" { delta = $6 }
         END { print full, (delta == "" ? "n/a" : delta), first }' <<<"$out"
else
    awk -v rss="$(each HWM_MB)" -v passes="$(each PASSES)" '$1 == "wall" { print rss, $2, passes }' <<<"$out"
fi
