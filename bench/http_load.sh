#!/usr/bin/env bash
# Load benchmark: GET /api/health and an authenticated GET /api/jobs/{id} on cadenza, next to nginx
# serving a static file of the same size, in the same run, on 127.0.0.1. Bounded: DURATION seconds
# per target (default 10), CONNECTIONS connections (default 32), 2 wrk threads.
# Usage: bench/http_load.sh [DURATION] [CONNECTIONS]     (after scripts/build)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNS=${2:-32}
BIN=${CADENZA_BIN:-build/cadenza}
command -v wrk >/dev/null || { echo "wrk missing: run scripts/setup"; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx missing: run scripts/setup"; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WORK=$(mktemp -d /tmp/cadenza-bench-XXXXXX)
cleanup() { [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; sleep 0.3; rm -rf "$WORK"; }
trap cleanup EXIT

# cadenza, access log on as in production (to a file)
"$BIN" serve --host 127.0.0.1 --port 0 --data-dir "$WORK/data" --config config/cadenza.toml > "$WORK/out" 2> "$WORK/server.log" &
SPID=$!
for _ in $(seq 100); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/out")
BASE=http://127.0.0.1:$PORT
curl -sf -X POST "$BASE/api/profiles" -H 'Content-Type: application/json' \
  -d '{"username":"bench","firstName":"B","lastName":"M","email":"bench@example.com","phoneNumber":"+15550000000","password":"bench-password"}' >/dev/null
TOKEN=$(curl -sf -X POST "$BASE/api/auth/login" -H 'Content-Type: application/json' -d '{"login":"bench","password":"bench-password"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
JOB=$(curl -sf -X POST "$BASE/api/jobs" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"kind":"demo","payload":{"steps":1,"stepMs":0}}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
sleep 0.5
HEALTH_BODY=$(curl -sf "$BASE/api/health")
JOB_BODY=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/jobs/$JOB")

# nginx: the same bytes as static files
chmod 755 "$WORK"; mkdir -p "$WORK/www"
printf '%s' "$HEALTH_BODY" > "$WORK/www/health.json"
printf '%s' "$JOB_BODY" > "$WORK/www/job.json"
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

run() {  # name url [header]
  local out
  if [ -n "${3:-}" ]; then out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$3" "$2")
  else out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$2"); fi
  local rps p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  echo "$1|$rps|$p99|${non2xx:-0}"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v } else { sub(/s/,"",v); print v*1000 } }'; }

echo "wrk -t2 -c$CONNS -d${DURATION}s on 127.0.0.1; body sizes: health ${#HEALTH_BODY} B, job ${#JOB_BODY} B"
R1=$(run "cadenza GET /api/health" "$BASE/api/health")
R2=$(run "nginx   static health.json" "http://127.0.0.1:$NPORT/health.json")
R3=$(run "cadenza GET /api/jobs/{id} (auth)" "$BASE/api/jobs/$JOB" "Authorization: Bearer $TOKEN")
R4=$(run "nginx   static job.json" "http://127.0.0.1:$NPORT/job.json")
printf '%-36s %12s %10s %8s\n' target "requests/s" "p99 ms" "non-2xx"
for r in "$R1" "$R2" "$R3" "$R4"; do
  IFS='|' read -r name rps p99 bad <<< "$r"
  printf '%-36s %12s %10s %8s\n' "$name" "$rps" "$(to_ms "$p99")" "$bad"
done
ratio() { awk -v a="$(echo "$1" | cut -d'|' -f2)" -v b="$(echo "$2" | cut -d'|' -f2)" 'BEGIN { printf "%.2f", a/b }'; }
echo "ratio cadenza/nginx requests/s: health $(ratio "$R1" "$R2"), authenticated job $(ratio "$R3" "$R4")"
