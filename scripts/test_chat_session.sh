#!/bin/bash
# Seed plan, "Session Simple": two requests with one X-Inventiv-Session go to the same worker.
set -e
. "$(dirname "$0")/lib.sh"

SESSION_ID=$(new_uuid)
echo "Testing session: $SESSION_ID"

# Requête 1
echo "📤 Request 1..."
chat "{
    \"model\": \"${MODEL}\",
    \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}],
    \"stream\": false
  }" "$SESSION_ID"
INSTANCE1=$INSTANCE
echo "✅ Request 1 completed (instance ${INSTANCE1})"

# Requête 2 (même session)
echo "📤 Request 2..."
chat "{
    \"model\": \"${MODEL}\",
    \"messages\": [
      {\"role\": \"user\", \"content\": \"Hello\"},
      {\"role\": \"assistant\", \"content\": \"Hi there!\"},
      {\"role\": \"user\", \"content\": \"What is 2+2?\"}
    ],
    \"stream\": false
  }" "$SESSION_ID"
INSTANCE2=$INSTANCE
echo "✅ Request 2 completed (instance ${INSTANCE2})"

if [ -z "$INSTANCE1" ] || [ "$INSTANCE1" != "$INSTANCE2" ]; then
  echo "❌ The session moved: ${INSTANCE1:-?} then ${INSTANCE2:-?}"
  exit 1
fi
echo "✅ Session test passed"
