#!/bin/sh
# The proxy container's entrypoint: render nginx's configuration from the container's environment, check
# every value first, then run nginx in the foreground.
#   start.sh          render, then exec nginx
#   start.sh render   render only, and print the configuration's path
#
#   SITE_UPSTREAM, CMS_UPSTREAM   host:port of the site and the CMS (required; the inventory's talks_to
#                                 gives them: Cloud Map names on Fargate, compose names locally)
#   PROXY_RESOLVER                the DNS server(s) nginx asks, address[:port] separated by spaces
#                                 (default: the first nameserver in /etc/resolv.conf: the VPC resolver on
#                                 Fargate, 127.0.0.11 under Docker)
#   PROXY_RESOLVER_VALID          how long nginx keeps an answer (default 10s, Cloud Map's TTL)
#   PROXY_CMS_UI_PUBLIC           true: Gentics Mesh's UI is reachable through the proxy (default false)
#   PROXY_LISTEN                  [address:]port to listen on (default 8080)
#   PROXY_CLIENT_MAX_BODY_SIZE    the largest request body, e.g. an upload to the CMS (default 64m)
#   PROXY_RUN_DIR                 where the configuration, pid and temporary files go (default /tmp/proxy,
#                                 on a scratch path: the root file system is read-only)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
newline='
'

fail() {
    echo "quoin-proxy: $*" >&2
    exit 1
}

# check NAME VALUE EXTENDED-REGEX WHAT: the whole value must match (it is written into nginx's syntax).
check() {
    case $2 in *"$newline"*) fail "$1 must be one line" ;; esac
    printf '%s\n' "$2" | grep -Eq -e "^($3)\$" || fail "$1=$2: $4"
}

# The address a hosts file gives a name: nginx's resolver reads only DNS, and a name such as
# host.docker.internal (compose's extra_hosts on Linux) is only in /etc/hosts.
hosts_address() {
    awk -v name="$1" '$1 !~ /^#/ { for (i = 2; i <= NF; i++) if ($i == name) { print $1; exit } }' /etc/hosts 2>/dev/null || true
}

upstream() {
    eval "value=\${$1:-}"
    [ -n "$value" ] || fail "$1 is not set: the proxy's talks_to gives it (host:port)"
    check "$1" "$value" '[A-Za-z0-9.-]+:[0-9]{1,5}' "must be host:port"
    address=$(hosts_address "${value%:*}")
    case $address in
        "") ;;
        *:*) value="[$address]:${value##*:}" ;;
        *) value="$address:${value##*:}" ;;
    esac
    eval "$1=\$value"
}

upstream SITE_UPSTREAM
upstream CMS_UPSTREAM

if [ -z "${PROXY_RESOLVER:-}" ]; then
    PROXY_RESOLVER=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
    [ -n "$PROXY_RESOLVER" ] || fail "no nameserver in /etc/resolv.conf: set PROXY_RESOLVER"
    case $PROXY_RESOLVER in *:*) PROXY_RESOLVER="[$PROXY_RESOLVER]" ;; esac
fi
check PROXY_RESOLVER "$PROXY_RESOLVER" '[][0-9A-Fa-f.:]+( [][0-9A-Fa-f.:]+)*' "must be address[:port], separated by spaces"

PROXY_RESOLVER_VALID=${PROXY_RESOLVER_VALID:-10s}
check PROXY_RESOLVER_VALID "$PROXY_RESOLVER_VALID" '[0-9]+[smh]?' "must be a time such as 10s"
PROXY_CMS_UI_PUBLIC=${PROXY_CMS_UI_PUBLIC:-false}
check PROXY_CMS_UI_PUBLIC "$PROXY_CMS_UI_PUBLIC" 'true|false' "must be true or false"
PROXY_LISTEN=${PROXY_LISTEN:-8080}
check PROXY_LISTEN "$PROXY_LISTEN" '([0-9.]+:)?[0-9]{1,5}' "must be [address:]port"
PROXY_CLIENT_MAX_BODY_SIZE=${PROXY_CLIENT_MAX_BODY_SIZE:-64m}
check PROXY_CLIENT_MAX_BODY_SIZE "$PROXY_CLIENT_MAX_BODY_SIZE" '[0-9]+[kKmMgG]?' "must be a size such as 64m"
PROXY_RUN_DIR=${PROXY_RUN_DIR:-/tmp/proxy}
check PROXY_RUN_DIR "$PROXY_RUN_DIR" '/[A-Za-z0-9._/-]*' "must be an absolute path"

export SITE_UPSTREAM CMS_UPSTREAM PROXY_RESOLVER PROXY_RESOLVER_VALID PROXY_CMS_UI_PUBLIC PROXY_LISTEN \
    PROXY_CLIENT_MAX_BODY_SIZE PROXY_RUN_DIR
mkdir -p "$PROXY_RUN_DIR"
config=$PROXY_RUN_DIR/nginx.conf
# Only these names are replaced: nginx's own $variables stay as they are.
envsubst '${SITE_UPSTREAM} ${CMS_UPSTREAM} ${PROXY_RESOLVER} ${PROXY_RESOLVER_VALID} ${PROXY_CMS_UI_PUBLIC}
    ${PROXY_LISTEN} ${PROXY_CLIENT_MAX_BODY_SIZE} ${PROXY_RUN_DIR}' <"$here/nginx.conf.template" >"$config"

if [ "${1:-}" = render ]; then
    echo "$config"
    exit 0
fi
# -e: nginx writes to its compiled-in error log until it has read the configuration; that file is on
# the read-only root (Debian's build) or a link to stderr (the nginx image's).
exec nginx -e stderr -p "$PROXY_RUN_DIR/" -c "$config"
