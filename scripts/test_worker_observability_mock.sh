#!/bin/bash
# Seed plan, E2E "Test Complet avec Mock": create a mock instance through the API (the local stack's
# mock provider starts its simulated GPU host), wait until it is ready, chat, and check that
# instance_request_metrics and finops.inference_usage count exactly what it served.
# Env: API_BASE_URL, API_KEY (an admin key), DATABASE_URL (psql), MODEL, REQUESTS (default 3).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mock.sh"

REQUESTS="${REQUESTS:-3}"
echo "🧪 Mock observability test (model ${MODEL})"

create_mock_instance
wait_ready "$INSTANCE_ID"

# Other hosts may serve the model too: count only what this instance answered.
served=0 input=0 output=0 attempts=0
while [ "$served" -lt "$REQUESTS" ]; do
  attempts=$((attempts + 1))
  [ "$attempts" -le $((REQUESTS * 10)) ] || fail "only ${served} of ${attempts} requests reached instance ${INSTANCE_ID}"
  chat "{\"model\": \"${MODEL}\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello ${attempts}\"}], \"stream\": false}"
  if [ "$INSTANCE" = "$INSTANCE_ID" ]; then
    served=$((served + 1))
    input=$((input + $(echo "$RESPONSE" | json_get '.usage.prompt_tokens')))
    output=$((output + $(echo "$RESPONSE" | json_get '.usage.completion_tokens')))
  fi
done
echo "📤 ${served} chats answered by instance ${INSTANCE_ID} (input=${input}, output=${output})"

wait_metrics "$INSTANCE_ID" "$served" "$input" "$output"
echo "✅ Mock observability test passed"
