#!/usr/bin/env bash
# The outside scanner: Debian's wapiti (3.0.4 on bookworm) against a throwaway portal, anonymous and signed in.
#   1. publishes the portal (Release) and starts the real portal process over HTTPS (a self-signed certificate made for
#      the run) on https://127.0.0.2:PORT, on a fresh SQLite file, with a known admin from Admin__Email/Admin__Password;
#      127.0.0.2 rather than 127.0.0.1, because ASP.NET Core leaves Strict-Transport-Security off for "localhost",
#      127.0.0.1 and [::1], and the scan is to see what a real host name gets
#   2. seeds it through the admin's own pages with curl (antiforgery tokens included): licenses, a project whose two
#      IMAP servers are closed loopback ports, four mailboxes (two with passwords, two asking their users), Start on
#      all of them, so the two asking ones are emailed a credential link; the link is read from the .eml file the
#      portal writes to its pickup directory
#   3. runs wapiti twice, each bounded in time: anonymous (the site root and the credential link: the public form)
#      and signed in as the admin (a cookie file made by signing in with curl; Log out is left out of the scan's
#      scope, see SCOPE below, so the session stays alive)
#   4. prints the findings per category and the report paths, and exits non-zero when wapiti found anything that is
#      not in the allowlist below (each entry says why it is not a defect)
#
# usage: bench/scan.sh [--keep] [--attack-seconds N]
#   --attack-seconds  the most each attack module may run per scan (default 20); the crawl gets 60 s per scan
#   --keep            leave the whole work directory (the published portal, its database and logs); otherwise only
#                     the reports and logs are left, in the directory printed at the end
# Needs root and Debian (installs wapiti when missing). Takes 5 to 8 minutes on 2 cores: 1 to 2 to publish, 2 for the
# anonymous scan, 4 for the signed-in one.
# Every request goes to the loopback portal, or to the scan's own endpoint (also on loopback) that wapiti's SSRF module
# asks whether the portal fetched a URL it was given; wapiti's crash reports (--no-bugreport), its database updates
# and the modules that download theirs (nikto, wapp) are off.
# The whole script is one block, so bash reads all of it before running any.
{
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0 ATTACK_SECONDS=20 CRAWL_SECONDS=60
while [[ $# -gt 0 ]]; do
    case "$1" in
        --keep) KEEP=1; shift ;;
        --attack-seconds) ATTACK_SECONDS="$2"; shift 2 ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) echo "scan.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ $ATTACK_SECONDS =~ ^[1-9][0-9]*$ ]] || { echo "scan.sh: --attack-seconds must be a number, not '$ATTACK_SECONDS'" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "scan.sh: run as root (it installs Debian's wapiti when missing)" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ------------------------------------------------------------------------------------------ the allowlist
# What wapiti reports that is not a defect, one entry a line: CATEGORY | REGEX on "PATH INFO" | why. A finding matching no
# entry fails the run. Keep every reason to one line; the README's "Outside scanner" section says the same at length.
ALLOWLIST=$(cat <<'EOF'
HttpOnly Flag cookie | HttpOnly flag is not set in the cookie : __Host-MigrationPortal\.\S+$ | ASP.NET Core writes "httponly", RFC 6265 compares attribute names case-insensitively, wapiti 3.0.4 looks for "HttpOnly" only; this script checks every cookie the portal set has it
HTTP Secure Headers | X-XSS-Protection is not set | Deprecated and removed from browsers; "1" (what wapiti wants) enabled the old XSS auditor, itself a cross-site leak; the portal's Content-Security-Policy allows no inline script instead
EOF
)

# ------------------------------------------------------------------------------------------ packages
PY=/usr/bin/python3 # Debian's, which has wapiti's modules (not a python3 earlier on PATH)
if ! dpkg-query -W -f='${Status}' wapiti 2>/dev/null | grep -q 'install ok installed'; then
    log "installing wapiti"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wapiti >/dev/null
fi
for p in curl openssl; do command -v "$p" >/dev/null || { log "installing $p"; apt-get update -qq && apt-get install -y -qq "$p" >/dev/null; }; done
log "$(dpkg-query -W -f='wapiti ${Version}' wapiti), $("$PY" --version)"

WORK=$(mktemp -d /tmp/mp-scan.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/reports" "$WORK/mail" "$WORK/wapiti"
PORTAL_PID="" ENDPOINT_PID=""
cleanup() {
    [[ -n $PORTAL_PID ]] && { kill "$PORTAL_PID" 2>/dev/null || true; wait "$PORTAL_PID" 2>/dev/null || true; }
    [[ -n $ENDPOINT_PID ]] && { kill "$ENDPOINT_PID" 2>/dev/null || true; wait "$ENDPOINT_PID" 2>/dev/null || true; }
    if [[ $KEEP -eq 1 ]]; then log "work directory kept: $WORK"
    else rm -rf "$WORK/portal" "$WORK/portal.db"* "$WORK/wapiti" "$WORK/cert" "$WORK"/*.cookies "$WORK/admin-cookies.json" "$WORK/page.html" "$WORK/mail"; fi
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------ the portal
log "publishing the portal (Release)"
dotnet publish -c Release -v q -nologo "$ROOT/src/MigrationPortal.Web" -o "$WORK/portal" >"$WORK/build.log" 2>&1 \
    || { log "publish failed; see $WORK/build.log"; KEEP=1; exit 1; }

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HOST=127.0.0.2 PORT=$(free_port) ENDPOINT_PORT=$(free_port)
# The project's IMAP servers: ports nothing listens on, so a pass or a credential check fails at once, and a try on
# the public form "could not reach the server", which does not use up the link's 5 checks.
IMAP_SOURCE_PORT=$(free_port) IMAP_DEST_PORT=$(free_port)
BASE="https://$HOST:$PORT"
ADMIN_EMAIL=admin@scan.test
ADMIN_PASSWORD="Scan-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')-Pw1"
CERT_PASSWORD=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
mkdir -p "$WORK/cert"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$HOST" -addext "subjectAltName=IP:$HOST" \
    -keyout "$WORK/cert/key.pem" -out "$WORK/cert/cert.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$WORK/cert/key.pem" -in "$WORK/cert/cert.pem" -out "$WORK/cert/portal.pfx" -passout "pass:$CERT_PASSWORD"

log "portal: starting on $BASE, database $WORK/portal.db, its output in $WORK/portal.log"
(
    cd "$WORK/portal"
    export ConnectionStrings__Portal="Data Source=$WORK/portal.db"
    export Admin__Email="$ADMIN_EMAIL" Admin__Password="$ADMIN_PASSWORD"
    export Kestrel__Certificates__Default__Path="$WORK/cert/portal.pfx" Kestrel__Certificates__Default__Password="$CERT_PASSWORD"
    export Portal__PublicBaseUrl="$BASE"
    export Smtp__Host="" Smtp__PickupDirectory="$WORK/mail" Outbox__PollInterval=00:00:01
    # The throttles at their highest: the scanner should reach the sign-in's and the public form's handlers, not
    # their 429 (the tests check the throttles). The lockout still holds: wapiti never types the admin's address.
    export Admin__SignInPermitLimit=10000 Access__PerLinkPermitLimit=1000 Access__PerClientPermitLimit=10000
    exec dotnet MigrationPortal.Web.dll --urls "$BASE"
) >"$WORK/portal.log" 2>&1 &
PORTAL_PID=$!
for _ in $(seq 600); do
    kill -0 "$PORTAL_PID" 2>/dev/null || { log "portal: the process ended at start-up; see $WORK/portal.log"; KEEP=1; exit 1; }
    if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
done
(exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null || { log "portal: not listening after 60 s; see $WORK/portal.log"; KEEP=1; exit 1; }

# ------------------------------------------------------------------------------------------ seeding, as an admin
JAR="$WORK/seed.cookies"
PAGE="$WORK/page.html"
# GET a page into $PAGE (following redirects); fails on an error status.
get() { curl -ksS --fail -b "$JAR" -c "$JAR" -L -o "$PAGE" -w '%{url_effective}' "$BASE$1"; }
token() { sed -n 's/.*name="__RequestVerificationToken" type="hidden" value="\([^"]*\)".*/\1/p' "$PAGE" | head -1; }
# POST the form of the page last fetched with `get` to PATH, the page's antiforgery token added; prints where it ended up.
post() {
    local path=$1; shift
    local args=(--data-urlencode "__RequestVerificationToken=$(token)")
    for field in "$@"; do args+=(--data-urlencode "$field"); done
    curl -ksS --fail -b "$JAR" -c "$JAR" -L -o "$PAGE" -w '%{url_effective}' "${args[@]}" "$BASE$path"
}
signin() { # JAR: signs the admin in with that cookie jar
    JAR=$1
    get /Admin/Account/Login >/dev/null
    local at
    at=$(post /Admin/Account/Login "Input.Email=$ADMIN_EMAIL" "Input.Password=$ADMIN_PASSWORD")
    [[ $at != *"/Account/Login"* ]] || { log "seed: the portal refused the admin's sign-in"; KEEP=1; exit 1; }
}
signin "$WORK/seed.cookies"
get /Admin/Licenses >/dev/null
post /Admin/Licenses Input.Quantity=10 "Input.Note=wapiti scan" >/dev/null
get /Admin/Projects/Create >/dev/null
at=$(post /Admin/Projects/Create "Input.Name=Scan project" \
    Input.SourceHost=127.0.0.1 "Input.SourcePort=$IMAP_SOURCE_PORT" Input.SourceSecurity=None \
    Input.DestinationHost=127.0.0.1 "Input.DestinationPort=$IMAP_DEST_PORT" Input.DestinationSecurity=None \
    Input.MaxConcurrentMigrations=2)
[[ $at =~ /Admin/Projects/Dashboard/([0-9]+) ]] || { log "seed: the project was not created (ended at $at)"; KEEP=1; exit 1; }
PROJECT=${BASH_REMATCH[1]}
add_mailbox() { # NAME SOURCE-KNOWN(true/false): the destination's password is always given
    local unknown=true password=("Input.DestinationPassword=dst-$1-Pw1")
    [[ $2 == true ]] && { unknown=false; password+=("Input.SourcePassword=src-$1-Pw1"); }
    get "/Admin/Mailboxes/Create?projectId=$PROJECT" >/dev/null
    post "/Admin/Mailboxes/Create?projectId=$PROJECT" "Input.SourceEmail=$1@old.scan.test" "Input.SourceLogin=$1" \
        "Input.SourceUnknown=$unknown" "Input.DestinationEmail=$1@new.scan.test" "Input.DestinationLogin=$1" \
        "Input.DestinationUnknown=false" "Input.NotifyEmail=$1@new.scan.test" "${password[@]}" >/dev/null
    grep -q ">$1@old.scan.test<" "$PAGE" || { log "seed: the mailbox $1 was not added"; KEEP=1; exit 1; }
}
add_mailbox alice true
add_mailbox bob true
add_mailbox carol false
add_mailbox dave false
get "/Admin/Projects/Dashboard/$PROJECT" >/dev/null
IDS=$(grep -o 'name="selected" value="[0-9]*"' "$PAGE" | grep -o '[0-9]*' || true)
[[ $(wc -w <<<"$IDS") -eq 4 ]] || { log "seed: the dashboard shows $(wc -w <<<"$IDS") mailboxes, not 4"; KEEP=1; exit 1; }
selected=(); for id in $IDS; do selected+=("selected=$id"); done
post "/Admin/Projects/Dashboard/$PROJECT?handler=Start" passKind=Full "${selected[@]}" >/dev/null
log "seed: project $PROJECT with 4 mailboxes (2 with passwords, 2 asking their users), all Started"
# The asking mailboxes' emails: the outbox delivers them within a second or two.
LINK=""
for _ in $(seq 60); do
    LINK=$(cat "$WORK"/mail/*.eml 2>/dev/null | grep -o "href=\"$BASE/access/[A-Za-z0-9_-]*\"" | head -1 | cut -d'"' -f2 || true)
    [[ -n $LINK ]] && break
    sleep 1
done
[[ -n $LINK ]] || { log "seed: no credential link in $WORK/mail after 60 s; see $WORK/portal.log"; KEEP=1; exit 1; }
curl -ksS --fail -o "$PAGE" "$LINK" && grep -q 'Source password' "$PAGE" \
    || { log "seed: the emailed link does not open the credential form: $LINK"; KEEP=1; exit 1; }
log "seed: a credential link was emailed ($(ls "$WORK/mail" | wc -l) emails in the pickup directory)"

# The scanner's own session, signed in apart from the seeding's, in wapiti's JSON cookie format.
signin "$WORK/scan.cookies"
# Every cookie the portal set so far (antiforgery, sign-in, TempData) is HttpOnly: curl marks those "#HttpOnly_" in its
# jar, whatever the attribute's case. What wapiti says about HttpOnly is only allowlisted because of this check.
not_httponly=$(cat "$WORK/seed.cookies" "$WORK/scan.cookies" | grep -v '^#' | grep . | cut -f6 | sort -u || true)
[[ -z $not_httponly ]] || { log "the portal set cookies without HttpOnly: $not_httponly"; KEEP=1; exit 1; }
log "seed: every cookie the portal set is HttpOnly: $(cat "$WORK/seed.cookies" "$WORK/scan.cookies" | grep '^#HttpOnly_' | cut -f6 | sort -u | tr '\n' ' ')"
"$PY" - "$WORK/scan.cookies" "$WORK/admin-cookies.json" <<'PY'
import json, sys
cookies = {}
for line in open(sys.argv[1]):
    if line.startswith("#HttpOnly_"):
        line = line[len("#HttpOnly_"):]
    elif line.startswith("#") or not line.strip():
        continue
    domain, _, path, secure, expires, name, value = line.rstrip("\n").split("\t")
    cookies.setdefault(domain, {}).setdefault(path, {})[name] = {
        "value": value, "expires": int(expires) or None, "secure": secure == "TRUE", "port": None, "version": 0}
json.dump(cookies, open(sys.argv[2], "w"), indent=2)
PY

# ------------------------------------------------------------------------------------------ wapiti
# The SSRF module's endpoint on loopback, instead of wapiti's public one: it records every request the portal might
# make to a URL wapiti typed into a field (/ssrf/SESSION/PATH_ID/HEX_PARAM/...) and answers the module's question.
cat > "$WORK/endpoint.py" <<'PY'
import json, sys, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs
seen = {}
class Endpoint(BaseHTTPRequestHandler):
    def record(self):
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        if url.path.endswith("get_ssrf.php"):
            body = json.dumps(seen.get(parse_qs(url.query).get("id", [""])[0], {})).encode()
        else:
            if len(parts) >= 4 and parts[0] == "ssrf":
                session, path_id, param = parts[1:4]
                seen.setdefault(session, {}).setdefault(path_id, {}).setdefault(param, []).append({
                    "url": self.path, "date": datetime.datetime.utcnow().isoformat(), "ip": self.client_address[0],
                    "method": self.command, "size": 0})
                print("endpoint: the portal requested", self.command, self.path, flush=True)
            body = b"{}"
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    do_GET = do_POST = do_PUT = record
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Endpoint).serve_forever()
PY
"$PY" "$WORK/endpoint.py" "$ENDPOINT_PORT" >"$WORK/endpoint.log" 2>&1 &
ENDPOINT_PID=$!

# wapiti 3.0.4's -x (exclude a URL) crashes on Python 3.11 (it compiles a pattern with "(?ms)" at its end), so Log out
# is kept from the signed-in scan by its scope instead: this wrapper (which also loads only the modules in WAPITI_MODULES) runs Debian's wapiti with the crawler's scope
# check refusing the paths in WAPITI_OUT_OF_SCOPE (space-separated, case-insensitive, query ignored), as the page's
# links, forms and redirections all pass through that check before they are fetched.
cat > "$WORK/wapiti-scoped.py" <<'PY'
import os, sys
from urllib.parse import urlparse
from wapitiCore.net import crawler, web
from wapitiCore.attack import attack
from wapitiCore.main.wapiti import wapiti_main
# Only the modules asked for are even loaded: wapp downloads its database from the web when it is loaded, used or not.
wanted = {"mod_" + m for m in os.environ["WAPITI_MODULES"].split(",")}
attack.modules[:] = [m for m in attack.modules if m in wanted]
out_of_scope = {p.rstrip("/").lower() for p in os.environ.get("WAPITI_OUT_OF_SCOPE", "").split()}
in_scope = crawler.Crawler.is_in_scope
def is_in_scope(self, resource):
    url = resource.url if isinstance(resource, web.Request) else (resource or "")
    if urlparse(url).path.rstrip("/").lower() in out_of_scope:
        return False
    return in_scope(self, resource)
crawler.Crawler.is_in_scope = is_in_scope
sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
PY

# Wapiti's default modules, and those that need nothing from outside: not nikto or wapp (they download databases),
# buster (brute-forces paths for minutes), xxe (the portal reads no XML), brute_login_form (a list of weak passwords
# against a random one; the lockout and throttle tests cover guessing).
MODULES=blindsql,cookieflags,csp,exec,file,http_headers,permanentxss,redirect,sql,ssrf,xss,csrf,crlf,methods,backup,htaccess,shellshock
scan() { # NAME [wapiti options...]: runs one scan; its JSON report is $WORK/reports/NAME.json
    local name=$1; shift
    local count budget
    count=$(tr ',' '\n' <<<"$MODULES" | wc -l)
    budget=$((CRAWL_SECONDS + count * ATTACK_SECONDS + 120))
    log "wapiti ($name): crawl up to ${CRAWL_SECONDS} s, each of $count modules up to ${ATTACK_SECONDS} s (at most $budget s); its output in $WORK/reports/$name.log"
    local started=$SECONDS rc=0
    WAPITI_OUT_OF_SCOPE="/Admin/Account/Logout" WAPITI_MODULES="$MODULES" timeout -k 10 "$budget" "$PY" "$WORK/wapiti-scoped.py" \
        -u "$BASE/" --scope folder -m "$MODULES" --no-bugreport -v 1 \
        --endpoint "http://127.0.0.1:$ENDPOINT_PORT/" \
        --max-scan-time "$CRAWL_SECONDS" --max-attack-time "$ATTACK_SECONDS" -t 10 \
        --store-session "$WORK/wapiti/$name" --store-config "$WORK/wapiti/$name-config" --flush-session \
        -f json -o "$WORK/reports/$name.json" "$@" </dev/null >"$WORK/reports/$name.log" 2>&1 || rc=$?
    [[ $rc -eq 0 && -s $WORK/reports/$name.json ]] \
        || { log "wapiti ($name): failed (exit $rc) after $((SECONDS - started)) s; see $WORK/reports/$name.log"; KEEP=1; exit 1; }
    log "wapiti ($name): done in $((SECONDS - started)) s; $(grep -o 'found [0-9]* URLs and forms' "$WORK/reports/$name.log" || echo 'found no URL or form')"
}
scan anonymous -s "$BASE/Admin/Account/Login" -s "$LINK"
scan admin -c "$WORK/admin-cookies.json" -s "$BASE/Admin" -s "$BASE/Admin/Projects/Dashboard/$PROJECT"

# The admin's session must have lasted the whole scan: otherwise the scan saw only the sign-in page.
curl -ksS -o /dev/null -w '%{http_code} %{redirect_url}' -b "$WORK/scan.cookies" "$BASE/Admin/Projects" >"$WORK/still-signed-in"
[[ $(cat "$WORK/still-signed-in") == "200 " ]] \
    || { log "wapiti (admin): the admin's session did not last the scan (/Admin/Projects: $(cat "$WORK/still-signed-in"))"; KEEP=1; exit 1; }
if grep -q 'the portal requested' "$WORK/endpoint.log"; then log "the portal requested a URL wapiti typed: see $WORK/endpoint.log"; fi

# ------------------------------------------------------------------------------------------ summary
echo "wapiti $(dpkg-query -W -f='${Version}' wapiti) against the portal at $BASE: findings per category"
rc=0
ALLOWLIST="$ALLOWLIST" "$PY" - "$WORK/reports/anonymous.json" "$WORK/reports/admin.json" <<'PY' || rc=$?
import json, os, re, sys
allow = []
for line in os.environ["ALLOWLIST"].splitlines():
    if line.strip():
        category, pattern, reason = line.split(" | ", 2)
        allow.append((category, re.compile(pattern), reason))
unexplained = 0
for path in sys.argv[1:]:
    name = os.path.basename(path)[:-5]
    report = json.load(open(path))
    print(f"  {name} ({path}):")
    found = 0
    for kind in ("vulnerabilities", "anomalies", "additionals"):
        for category, items in sorted(report.get(kind, {}).items()):
            if not items:
                continue
            found += len(items)
            print(f"    {category}: {len(items)}")
            for item in items:
                what = f"{item['method']} {item['path']} {item['info'].splitlines()[0] if item['info'] else ''}".strip()
                why = next((r for c, p, r in allow if c == category and p.search(f"{item['path']} {item['info']}")), None)
                if why is None:
                    unexplained += 1
                    print(f"      NOT EXPLAINED: {what}" + (f" (parameter {item['parameter']})" if item.get("parameter") else ""))
                else:
                    print(f"      explained: {what}: {why}")
    if found == 0:
        print("    nothing")
print(f"  {unexplained} finding(s) not explained" if unexplained else "  every finding is explained")
sys.exit(1 if unexplained else 0)
PY
# What the portal itself said meanwhile: an error here (an unhandled exception, say) is worth a look even when the
# page wapiti saw was a polite one. Not pass/fail: the worker warns about the seeded IMAP ports nothing listens on.
echo "the portal's log ($WORK/portal.log), warnings and errors per category:"
grep -E '^(warn|fail|crit): ' "$WORK/portal.log" | sed 's/\[[0-9]*\]$//' | sort | uniq -c | sort -rn | sed 's/^/  /' || echo "  none"
echo "reports and logs: $WORK/reports"
exit $rc
}
