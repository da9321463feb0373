#!/usr/bin/env bash
# API load benchmark: cadenza next to nginx serving the same JSON bytes as static files, in the same run,
# on 127.0.0.1. Targets:
#   (a) GET /api/health
#   (b) GET /api/profiles/{id} with a JWT: after the first request it comes from the response cache
#   (c) PATCH /api/profiles/{id}/preferences/{pid}: JSON Merge Patch alternating rank and weight
#       (bench/api_patch.lua); its nginx peer is a GET of the same preference JSON
# The server runs as in production (access log on, to a file) but with rate limits off
# (ratelimit.*_per_s = 0), so wrk measures the server, not the token buckets. Bounded: DURATION seconds
# per target (default 10), CONNECTIONS connections (default 32), 2 wrk threads.
# Usage: bench/api_load.sh [DURATION] [CONNECTIONS]     (after scripts/build)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNS=${2:-32}
BIN=${CADENZA_BIN:-build/cadenza}
unset CADENZA_BIN  # the server refuses unknown CADENZA_* variables
command -v wrk >/dev/null || { echo "wrk missing: run scripts/setup"; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx missing: run scripts/setup"; exit 1; }
[ -x "$BIN" ] || { echo "$BIN missing: run scripts/build (or set CADENZA_BIN)"; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WORK=$(mktemp -d /tmp/cadenza-bench-XXXXXX)
cleanup() { [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; sleep 0.3; rm -rf "$WORK"; }
trap cleanup EXIT

# cadenza, access log on as in production (to a file), rate limits off
"$BIN" serve --host 127.0.0.1 --port 0 --data-dir "$WORK/data" --config config/cadenza.toml \
  --set log.access_log=true --set ratelimit.read_per_s=0 --set ratelimit.write_per_s=0 \
  > "$WORK/out" 2> "$WORK/server.log" &
SPID=$!
for _ in $(seq 100); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/out")
[ -n "$PORT" ] || { echo "cadenza did not start:"; cat "$WORK/server.log"; exit 1; }
BASE=http://127.0.0.1:$PORT
JSON='Content-Type: application/json'
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }  # a string member of a one-line JSON object
PROFILE=$(curl -sf -X POST "$BASE/api/profiles" -H "$JSON" \
  -d '{"username":"bench","firstName":"B","lastName":"M","email":"bench@example.com","phoneNumber":"+15550000000","password":"bench-password"}' | field profileId)
TOKEN=$(curl -sf -X POST "$BASE/api/auth/login" -H "$JSON" -d '{"login":"bench","password":"bench-password"}' | field token)
AUTH="Authorization: Bearer $TOKEN"
PREF=$(curl -sf -X POST "$BASE/api/profiles/$PROFILE/preferences" -H "$AUTH" -H "$JSON" -d '{"type":"genre","value":"techno","weight":0.75}' | field id)
curl -sf -X POST "$BASE/api/profiles/$PROFILE/preferences" -H "$AUTH" -H "$JSON" -d '{"type":"genre","value":"ambient"}' >/dev/null
[ -n "$PREF" ] || { echo "could not create a preference (are the listener routes built in?)"; exit 1; }
PREF_URL="$BASE/api/profiles/$PROFILE/preferences/$PREF"
HEALTH_BODY=$(curl -sf "$BASE/api/health")
PROFILE_BODY=$(curl -sf -H "$AUTH" "$BASE/api/profiles/$PROFILE")
XCACHE=$(curl -sf -o /dev/null -D - -H "$AUTH" "$BASE/api/profiles/$PROFILE" | tr -d '\r' | sed -n 's/^[Xx]-[Cc]ache: *//p')
PREF_BODY=$(curl -sf -X PATCH -H "$AUTH" -H 'Content-Type: application/merge-patch+json' -d '{"rank":0,"weight":0.75}' "$PREF_URL")

# nginx: the same bytes as static files
chmod 755 "$WORK"; mkdir -p "$WORK/www"
printf '%s' "$HEALTH_BODY" > "$WORK/www/health.json"
printf '%s' "$PROFILE_BODY" > "$WORK/www/profile.json"
printf '%s' "$PREF_BODY" > "$WORK/www/preference.json"
NPORT=$((PORT + 1))
cat > "$WORK/nginx.conf" <<NGX
worker_processes 1;
user root;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log $WORK/nginx-access.log;
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp; uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  server { listen 127.0.0.1:$NPORT; root $WORK/www; default_type application/json; }
}
NGX
mkdir -p "$WORK/tmp"
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
sleep 0.3

run() {  # name url [header] [lua script]
  local out args=(-t2 -c"$CONNS" -d"${DURATION}s" --latency)
  [ -n "${3:-}" ] && args+=(-H "$3")
  [ -n "${4:-}" ] && args+=(-s "$4")
  out=$(wrk "${args[@]}" "$2")
  local rps p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  echo "$1|$rps|$p99|${non2xx:-0}"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v } else { sub(/s/,"",v); print v*1000 } }'; }
rps_of() { echo "$1" | cut -d'|' -f2; }
ratio() { awk -v a="$(rps_of "$1")" -v b="$(rps_of "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a/b : 0) }'; }

echo "wrk -t2 -c$CONNS -d${DURATION}s on 127.0.0.1, $(nproc) CPUs; body sizes: health ${#HEALTH_BODY} B, profile ${#PROFILE_BODY} B, preference ${#PREF_BODY} B; profile GET X-Cache: ${XCACHE:-none}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
H1=$(run "cadenza GET /api/health" "$BASE/api/health")
H2=$(run "nginx   static health.json" "http://127.0.0.1:$NPORT/health.json")
G1=$(run "cadenza GET /api/profiles/{id} (JWT, cached)" "$BASE/api/profiles/$PROFILE" "$AUTH")
G2=$(run "nginx   static profile.json" "http://127.0.0.1:$NPORT/profile.json")
P1=$(run "cadenza PATCH .../preferences/{pid}" "$PREF_URL" "$AUTH" bench/api_patch.lua)
P2=$(run "nginx   static preference.json (GET)" "http://127.0.0.1:$NPORT/preference.json")

printf '%-46s %12s %9s %10s %8s\n' target "requests/s" "p99 ms" "vs nginx" "non-2xx"
row() { IFS='|' read -r name rps p99 bad <<< "$1"; printf '%-46s %12s %9s %10s %8s\n' "$name" "$rps" "$(to_ms "$p99")" "$2" "$bad"; }
row "$H1" "$(ratio "$H1" "$H2")"; row "$H2" "1.00"
row "$G1" "$(ratio "$G1" "$G2")"; row "$G2" "1.00"
row "$P1" "$(ratio "$P1" "$P2")"; row "$P2" "1.00"

G_RATIO=$(ratio "$G1" "$G2")
G_P99=$(to_ms "$(echo "$G1" | cut -d'|' -f3)")
G_BAD=$(echo "$G1" | cut -d'|' -f4)
MET=$(awk -v r="$G_RATIO" -v p="$G_P99" -v b="$G_BAD" 'BEGIN { print (r >= 0.5 && p < 5 && b == 0) ? "MET" : "NOT MET" }')
echo "target: cached GET ≥ 50% of nginx rps with p99 < 5 ms: $MET (${G_RATIO}x nginx, p99 ${G_P99} ms)"
echo "access log: $(grep -c ' GET \| PATCH ' "$WORK/server.log" || true) lines written by cadenza during the run"
