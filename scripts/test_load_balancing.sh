#!/bin/bash
# Seed plan, "Load Balancing": requests without a session, then how they spread over the workers.
set -e
. "$(dirname "$0")/lib.sh"
REQUESTS="${REQUESTS:-10}"
PAUSE="${PAUSE:-0.5}"

echo "📊 Testing load balancing..."

SERVED=""
# Envoyer des requêtes sans sticky routing
for i in $(seq 1 "$REQUESTS"); do
  echo "📤 Request $i..."
  chat "{
      \"model\": \"${MODEL}\",
      \"messages\": [{\"role\": \"user\", \"content\": \"Test $i\"}],
      \"stream\": false
    }"
  SERVED="${SERVED}${INSTANCE}"$'\n'
  sleep "$PAUSE"
done

echo "📊 Requests per instance:"
printf '%s' "$SERVED" | sort | uniq -c | while read -r count instance; do echo "instance ${instance}: ${count}"; done
echo "✅ Load balancing test completed"
