#!/usr/bin/env bash
# Installs what the tests need on Debian, when it is missing, and nothing else. Idempotent; run as root.
#   dovecot-imapd  real IMAP servers: the tests start private instances on loopback ports
#                  (the packaged system service is kept from starting)
#   chromium       Debian's browser, driven by Playwright in tests/MigrationPortal.BrowserTests
#   postgresql     the portal tests' second database: the tests start a private server of their own on a loopback
#                  port (tests/MigrationPortal.Fixtures/Postgres; the packaged cluster is kept from starting)
#   cyrus-common   Cyrus IMAP's master and tools, sasl2-bin its password file tool: the interoperability tests
#   sasl2-bin      start private Cyrus instances (tests/MigrationPortal.Fixtures/Cyrus). Its IMAP server comes from
#                  cyrus-imapd, unpacked under /opt/mp-cyrus rather than installed: that package conflicts with
#                  dovecot-imapd (both provide imap-server), and removing Dovecot is not an option
#   courier-base   Courier's couriertcpd, authlib's authdaemond and makeuserdb (its dependencies): the interoperability
#                  tests start private Courier-IMAP instances (tests/MigrationPortal.Fixtures/Courier). Its IMAP server
#                  comes from courier-imap, unpacked under /opt/mp-courier rather than installed, for the same reason as
#                  Cyrus's: it conflicts with dovecot-imapd
#   user mpmail    the unprivileged user the private Dovecot instances keep mail as (Dovecot refuses root)
set -euo pipefail

MAIL_USER=mpmail
PACKAGES=(dovecot-imapd chromium postgresql cyrus-common sasl2-bin courier-base)
CYRUS_IMAPD=/opt/mp-cyrus/usr/lib/cyrus/bin/imapd
COURIER_IMAPD=/opt/mp-courier/usr/bin/imapd

if [[ $(id -u) -ne 0 ]]; then
    echo "setup-machine.sh: run as root (it may apt-get install and useradd)" >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "setup-machine.sh: installing ${missing[*]}"
    # invoke-rc.d asks policy-rc.d; 101 means "do not start": no system-wide Dovecot or PostgreSQL is started.
    created_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    trap 'if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x $CYRUS_IMAPD ]]; then
    echo "setup-machine.sh: unpacking cyrus-imapd's server under /opt/mp-cyrus"
    version=$(dpkg-query -W -f='${Version}' cyrus-common)
    download=$(mktemp -d)
    chmod 777 "$download"
    (cd "$download" && apt-get download -qq "cyrus-imapd=$version" 2>/dev/null || { apt-get update -qq && apt-get download -qq "cyrus-imapd=$version"; })
    mkdir -p /opt/mp-cyrus
    dpkg-deb -x "$download"/cyrus-imapd_*.deb /opt/mp-cyrus
    rm -rf "$download"
fi

if [[ ! -x $COURIER_IMAPD ]]; then
    echo "setup-machine.sh: unpacking courier-imap's server under /opt/mp-courier"
    # courier-imap's version is its own and courier-base's: 5.0.13+1.0.16-3+b6 goes with courier-base 1.0.16-3+b6.
    base=$(dpkg-query -W -f='${Version}' courier-base)
    version=$(apt-cache madison courier-imap | awk -v suffix="+$base" 'substr($3, length($3) - length(suffix) + 1) == suffix { print $3; exit }')
    download=$(mktemp -d)
    chmod 777 "$download"
    (cd "$download" && apt-get download -qq "courier-imap=$version" 2>/dev/null || { apt-get update -qq && apt-get download -qq "courier-imap=$version"; })
    mkdir -p /opt/mp-courier
    dpkg-deb -x "$download"/courier-imap_*.deb /opt/mp-courier
    rm -rf "$download"
fi

if ! id "$MAIL_USER" >/dev/null 2>&1; then
    echo "setup-machine.sh: creating OS user $MAIL_USER"
    useradd --no-create-home --shell /usr/sbin/nologin "$MAIL_USER"
fi

pg=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)
echo "setup-machine.sh: dovecot $(dovecot --version | cut -d' ' -f1), cyrus $(dpkg-query -W -f='${Version}' cyrus-common), $($COURIER_IMAPD --version | grep -o 'Courier-IMAP [0-9.]*'), $(/usr/bin/chromium --version 2>/dev/null | head -1), PostgreSQL $("${pg:-false}" --version 2>/dev/null | awk '{print $3}'), mail user $MAIL_USER"
