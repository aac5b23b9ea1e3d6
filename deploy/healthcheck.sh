#!/bin/bash
# deploy/healthcheck.sh -- the container image's HEALTHCHECK (installed as
# /usr/local/bin/shoal-healthcheck). debian:bookworm-slim has no curl or
# wget, so it speaks HTTP through bash's /dev/tcp: GET /healthz (or the path
# given as $1, e.g. /readyz) on shoal's metrics port, SHOAL_METRICS_PORT
# (default 9121), on 127.0.0.1. Exit 0 when the status line says 200, 1 for
# anything else (nothing listening, another status, no answer in 5 s).
port=${SHOAL_METRICS_PORT:-9121}
path=${1:-/healthz}
if ! { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
    echo "shoal-healthcheck: nothing listening on 127.0.0.1:$port" >&2
    exit 1
fi
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
if ! IFS= read -r -t 5 status <&3; then
    echo "shoal-healthcheck: $path on port $port: no reply" >&2
    exit 1
fi
case $status in
    "HTTP/1."?" 200"*) exit 0 ;;
esac
echo "shoal-healthcheck: $path on port $port: ${status%$'\r'}" >&2
exit 1
