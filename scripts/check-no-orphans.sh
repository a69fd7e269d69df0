#!/usr/bin/env bash
# `npm start` as a user runs it, on free ports with its own embedded database: it must serve a
# chat, and a SIGTERM to the npm process alone must stop every process it started (tsx, wrangler,
# workerd, PGlite) and free every port. Run by .ci/run; takes 30–100 s (wrangler dev's start-up).
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
PORTS=()
for _ in 1 2 3 4 5 6; do PORTS+=("$(free_port)"); done
ROUTER=${PORTS[0]} PROXY=${PORTS[1]} PG=${PORTS[2]} INSPECTOR=${PORTS[3]} HOST1=${PORTS[4]} HOST2=${PORTS[5]}
DATA=$(mktemp -d)
LOG=$(mktemp)
trap 'rm -rf "$DATA" "$LOG"' EXIT

descendants() { # every process below $1, as "pid comm"
  local all; all=$(ps -e -o pid=,ppid=,stat=,comm=)
  local frontier=" $1 " found=""
  while [ -n "${frontier// /}" ]; do
    local next=""
    while read -r pid ppid stat comm; do
      [[ $stat == Z* ]] && continue
      if [[ $frontier == *" $ppid "* ]]; then next+=" $pid "; found+="$pid $comm"$'\n'; fi
    done <<<"$all"
    frontier=$next
  done
  printf "%s" "$found"
}
listening() { ss -ltnH | awk '{print $4}' | grep -E ":(${ROUTER}|${PROXY}|${PG}|${INSPECTOR}|${HOST1}|${HOST2})$" || true; }

echo "check-no-orphans: PORT=$ROUTER DB_WS_PROXY_PORT=$PROXY EMBEDDED_PG_PORT=$PG WRANGLER_INSPECTOR_PORT=$INSPECTOR MOCK_GPU_PORTS=$HOST1,$HOST2 npm start &"
env -u DATABASE_URL -u DEV_API_KEY PORT=$ROUTER DB_WS_PROXY_PORT=$PROXY EMBEDDED_PG_PORT=$PG \
  WRANGLER_INSPECTOR_PORT=$INSPECTOR MOCK_GPU_PORTS=$HOST1,$HOST2 EMBEDDED_PG_DIR="$DATA" npm start >"$LOG" 2>&1 &
NPM=$!
for _ in $(seq 1 180); do
  grep -q "Ctrl-C stops everything" "$LOG" && break
  kill -0 $NPM 2>/dev/null || { cat "$LOG"; echo "check-no-orphans: npm start exited early"; exit 1; }
  sleep 1
done
grep -q "Ctrl-C stops everything" "$LOG" || { cat "$LOG"; kill -TERM $NPM; echo "check-no-orphans: no banner in 180 s"; exit 1; }
KEY=$(sed -n 's/^ *API key *//p' "$LOG")

echo "check-no-orphans: a chat through it"
ANSWER=$(curl -sf "http://127.0.0.1:$ROUTER/v1/chat/completions" -H "Authorization: Bearer $KEY" \
  -H "Content-Type: application/json" -d '{"model":"Qwen/Qwen2.5-0.5B-Instruct","messages":[{"role":"user","content":"Hello"}]}') \
  || { cat "$LOG"; kill -TERM $NPM; echo "check-no-orphans: the chat failed"; exit 1; }
echo "$ANSWER"
STARTED=$(descendants $NPM)
echo "check-no-orphans: processes under npm ($NPM):"; echo "$STARTED"
echo "check-no-orphans: listening:"; listening
grep -q " workerd$" <<<"$STARTED" || { echo "check-no-orphans: no workerd found under npm"; exit 1; }

echo "check-no-orphans: kill -TERM $NPM"
kill -TERM $NPM
wait $NPM || true
# npm exits once its script has, and the script once it has stopped everything; tsx's esbuild
# service exits on its own when its stdin closes, a moment later: allow 5 s for that.
left() {
  while read -r pid comm; do
    [ -z "$pid" ] && continue
    [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$comm" ] && echo "$pid $comm"
  done <<<"$STARTED"
  return 0
}
for _ in $(seq 1 50); do
  LEFT=$(left)
  [ -z "$LEFT" ] && break
  sleep 0.1
done
PORTS_LEFT=$(listening)
echo "check-no-orphans: processes left: ${LEFT:-none}"
echo "check-no-orphans: ports left: ${PORTS_LEFT:-none}"
tail -2 "$LOG"
if [ -n "$LEFT" ] || [ -n "$PORTS_LEFT" ]; then exit 1; fi
echo "check-no-orphans: ok"
