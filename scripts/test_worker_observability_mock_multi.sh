#!/bin/bash
# Seed plan, E2E "Test Multi-Instances": several mock instances created through the API; requests
# with X-Inventiv-Session stay on one instance, requests without it spread over them; the metrics
# of each instance count what it served.
# Env: API_BASE_URL, API_KEY (an admin key), DATABASE_URL (psql), MODEL, INSTANCES (default 3),
# REQUESTS (unsticky requests, default 12), SESSION_REQUESTS (default 4).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mock.sh"

INSTANCES="${INSTANCES:-3}"
REQUESTS="${REQUESTS:-12}"
SESSION_REQUESTS="${SESSION_REQUESTS:-4}"
echo "🧪 Multi-instance mock test (${INSTANCES} instances, model ${MODEL})"

ours=()
for _ in $(seq "$INSTANCES"); do
  create_mock_instance
  ours+=("$INSTANCE_ID")
done
for id in "${ours[@]}"; do wait_ready "$id"; done

declare -A served input output
for id in "${ours[@]}"; do served[$id]=0 input[$id]=0 output[$id]=0; done
count() {
  [ -n "${served[$INSTANCE]+set}" ] || return 0 # another host of the model
  served[$INSTANCE]=$((served[$INSTANCE] + 1))
  input[$INSTANCE]=$((input[$INSTANCE] + $(echo "$RESPONSE" | json_get '.usage.prompt_tokens')))
  output[$INSTANCE]=$((output[$INSTANCE] + $(echo "$RESPONSE" | json_get '.usage.completion_tokens')))
}

# Sticky: one session, one instance, a growing conversation.
SESSION_ID=$(new_uuid)
messages="{\"role\": \"user\", \"content\": \"Hello\"}"
pinned=""
for i in $(seq "$SESSION_REQUESTS"); do
  chat "{\"model\": \"${MODEL}\", \"messages\": [${messages}], \"stream\": false}" "$SESSION_ID"
  count
  [ -z "$pinned" ] && pinned="$INSTANCE"
  [ "$INSTANCE" = "$pinned" ] || fail "session ${SESSION_ID}: request ${i} went to ${INSTANCE}, not ${pinned}"
  messages="${messages}, {\"role\": \"assistant\", \"content\": \"ok\"}, {\"role\": \"user\", \"content\": \"Turn ${i}\"}"
done
echo "✅ sticky: ${SESSION_REQUESTS} requests of session ${SESSION_ID} all on instance ${pinned}"

# Unsticky: spread over the instances.
declare -A unsticky
for id in "${ours[@]}"; do unsticky[$id]=0; done
for i in $(seq "$REQUESTS"); do
  chat "{\"model\": \"${MODEL}\", \"messages\": [{\"role\": \"user\", \"content\": \"Test ${i}\"}], \"stream\": false}"
  count
  if [ -n "${unsticky[$INSTANCE]+set}" ]; then unsticky[$INSTANCE]=$((unsticky[$INSTANCE] + 1)); fi
done
used=0
for id in "${ours[@]}"; do
  echo "📊 instance ${id}: ${unsticky[$id]} of ${REQUESTS} unsticky requests"
  if [ "${unsticky[$id]}" -gt 0 ]; then used=$((used + 1)); fi
done
[ "$used" -ge 2 ] || fail "unsticky requests did not spread: only ${used} of ${INSTANCES} instances used"
echo "✅ distribution: ${used} of ${INSTANCES} instances served unsticky requests"

for id in "${ours[@]}"; do wait_metrics "$id" "${served[$id]}" "${input[$id]}" "${output[$id]}"; done
echo "✅ Multi-instance mock test passed"
