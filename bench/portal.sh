# bench/portal.sh [MAILBOXES]: the portal's runs in the loopback benchmark. Sourced by bench/imap.sh in a subshell,
# so it sees WORK, ROOT, SRC_PORT, DST_PORT, SRC_USER, BENCH_PASSWORD, COUNT, LANES, log() and tool(); not run on its own.
#   (none)  two mailboxes one after the other on a freshly started portal, $SRC_USER -> portalfirst, then -> portal,
#           each a Full, then a Delta with nothing new for each; stdout: "FULL_SECONDS DELTA_SECONDS FIRST_SECONDS", all
#           from the portal's own statistics: the Full and Delta into portal (a portal in service, its code compiled
#           by .NET's JIT on first use already), and the first pass after start-up (into portalfirst), which pays for that
#   N > 1   N mailboxes at once, $SRC_USER -> portal01..portalNN (project cap and Migration__MaxParallel N);
#           stdout: "PEAK_RSS_MB WALL_SECONDS", the portal process's VmHWM and Start to the last Completed
# Each call publishes the portal once (Release, into $WORK/portal), starts the real portal process on a fresh SQLite file,
# and drives it over HTTP through the admin's pages (`tool portal`). Logs go to stderr and to $WORK/portal.log, the
# portal's own output to $WORK/portal.log too; passwords only ever travel in environment variables.

# Sourced without arguments it would see its caller's: imap.sh has shifted all of its own away by then.
MAILBOXES=${1:-1}
[[ $MAILBOXES =~ ^[1-9][0-9]*$ ]] || { log "portal.sh: MAILBOXES must be a number, not '$MAILBOXES'"; exit 2; }
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
    PHASE=$MAILBOXES-at-once FIRST= USERS=$(seq -f 'portal%02g' -s, 1 "$MAILBOXES") PARALLEL=$MAILBOXES THEN=
fi
read -r PORT < <(tool ports --count 1)
export PORTAL_ADMIN_EMAIL=admin@bench.test
# A fresh one per run; it meets Identity's rules (length, digit, upper, lower, symbol).
PORTAL_ADMIN_PASSWORD="Bench-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')-Pw1"
export PORTAL_ADMIN_PASSWORD

plog "portal ($PHASE): starting on 127.0.0.1:$PORT, database $WORK/portal-$PHASE.db"
(
    # The publish folder as the working directory: its appsettings.json and wwwroot/ are the content root's.
    cd "$WORK/portal"
    export ConnectionStrings__Portal="Data Source=$WORK/portal-$PHASE.db"
    export Admin__Email="$PORTAL_ADMIN_EMAIL" Admin__Password="$PORTAL_ADMIN_PASSWORD"
    export Portal__PublicBaseUrl="http://127.0.0.1:$PORT"
    export Smtp__Host="" Smtp__PickupDirectory="$WORK/portal-mail"
    export Migration__MaxParallel="$PARALLEL"
    # imap.sh's --folders-at-once, so the portal copies over as many lanes as the CLI; the portal's default otherwise.
    [[ -n ${LANES:-} ]] && export Migration__FoldersAtOnce="$LANES"
    exec dotnet MigrationPortal.Web.dll --urls "http://127.0.0.1:$PORT"
) >>"$PLOG" 2>&1 &
PORTAL_PID=$!
echo "$PORTAL_PID" > "$WORK/portal.pid"
portal_stop() {
    kill "$PORTAL_PID" 2>/dev/null || true
    wait "$PORTAL_PID" 2>/dev/null || true
    rm -f "$WORK/portal.pid"
}
trap portal_stop EXIT

rss_mb() { awk -v key="$1:" '$1 == key { printf "%.0f", $2 / 1024 }' "/proc/$PORTAL_PID/status" 2>/dev/null || echo n/a; }
for _ in $(seq 600); do
    kill -0 "$PORTAL_PID" 2>/dev/null || { plog "portal: the process ended at start-up; see $PLOG"; exit 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || { plog "portal: not listening on $PORT after 60 s; see $PLOG"; exit 1; }
# What the process holds before any page or pass: the floor under the peak below.
plog "portal ($PHASE): listening, RSS $(rss_mb VmRSS) MB after start-up"

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
# The peak resident set of the portal process over its whole life, read before it is stopped.
HWM_MB=$(rss_mb VmHWM)
printf '%s\n' "$out" > "$WORK/portal-$PHASE.txt"
plog "portal ($PHASE): peak RSS $HWM_MB MB (now $(rss_mb VmRSS) MB); per mailbox (user outcome kind copied seconds):"
sed 's/^/        /' "$WORK/portal-$PHASE.txt" | tee -a "$PLOG" >&2
[[ $rc -eq 0 ]] || { plog "portal ($PHASE): not every pass completed (exit $rc)"; exit 1; }

if [[ $MAILBOXES -eq 1 ]]; then
    awk '$1 == "portal" { full = $5 } $1 == "portalfirst" { first = $5 } $1 == "delta" && $2 == "portal" { delta = $6 }
         END { print full, (delta == "" ? "n/a" : delta), first }' <<<"$out"
else
    awk -v rss="$HWM_MB" '$1 == "wall" { print rss, $2 }' <<<"$out"
fi
