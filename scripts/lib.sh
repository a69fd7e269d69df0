# Shared by the seed's test scripts: settings, and fallbacks for tools a fresh machine may lack.
# shellcheck shell=bash

API_BASE_URL="${API_BASE_URL:-http://localhost:8003}"
API_KEY="${API_KEY:-}"
# The seed's model; override to point the scripts at another one.
MODEL="${MODEL:-Qwen/Qwen2.5-0.5B-Instruct}"

if [ -z "$API_KEY" ]; then
  echo "❌ API_KEY not set"
  exit 1
fi

# uuidgen is not installed everywhere; the kernel and node both make UUIDs too.
new_uuid() {
  if command -v uuidgen >/dev/null 2>&1; then uuidgen
  elif [ -r /proc/sys/kernel/random/uuid ]; then cat /proc/sys/kernel/random/uuid
  else node -e 'console.log(crypto.randomUUID())'
  fi
}

# json_get <path like .usage.total_tokens> : reads JSON on stdin, prints the value or nothing.
json_get() {
  if command -v jq >/dev/null 2>&1; then
    jq -r "$1 // empty"
  elif command -v node >/dev/null 2>&1; then
    node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        let v; try { v = process.argv[1].split(".").filter(Boolean).reduce((o, k) => (o == null ? o : o[k]), JSON.parse(s)); } catch {}
        if (v !== undefined && v !== null) console.log(typeof v === "object" ? JSON.stringify(v) : String(v));
      });' "$1"
  else
    python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in [p for p in sys.argv[1].split(".") if p]:
    v = v.get(k) if isinstance(v, dict) else None
if v is not None: print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1"
  fi
}

# chat <json body> [session id] : POSTs a chat completion, fails on an HTTP error, and sets
# RESPONSE (the body) and INSTANCE (the GPU host that answered, from x-inventiv-instance).
chat() {
  local body="$1" session="${2:-}" headers
  headers=$(mktemp)
  local args=(-s --fail-with-body -X POST "${API_BASE_URL}/v1/chat/completions"
    -H "Authorization: Bearer ${API_KEY}" -H "Content-Type: application/json" -D "$headers" -d "$body")
  if [ -n "$session" ]; then args+=(-H "X-Inventiv-Session: ${session}"); fi
  if ! RESPONSE=$(curl "${args[@]}"); then
    echo "❌ request failed: ${RESPONSE}"
    rm -f "$headers"
    exit 1
  fi
  INSTANCE=$(tr -d '\r' <"$headers" | awk -F': ' 'tolower($1) == "x-inventiv-instance" { print $2 }')
  rm -f "$headers"
}
