#!/bin/bash
# Seed plan, "Token Tracking": the answer carries prompt, completion and total token counts.
set -e
. "$(dirname "$0")/lib.sh"

echo "📊 Testing token tracking..."

# Envoyer une requête
chat "{
    \"model\": \"${MODEL}\",
    \"messages\": [{\"role\": \"user\", \"content\": \"Hello, how are you?\"}],
    \"stream\": false
  }"

# Extraire les tokens de la réponse
INPUT_TOKENS=$(echo "$RESPONSE" | json_get '.usage.prompt_tokens')
OUTPUT_TOKENS=$(echo "$RESPONSE" | json_get '.usage.completion_tokens')
TOTAL_TOKENS=$(echo "$RESPONSE" | json_get '.usage.total_tokens')

if [ -n "$INPUT_TOKENS" ] && [ -n "$OUTPUT_TOKENS" ] && [ -n "$TOTAL_TOKENS" ]; then
  echo "✅ Tokens extracted: input=$INPUT_TOKENS, output=$OUTPUT_TOKENS, total=$TOTAL_TOKENS (instance ${INSTANCE})"
else
  echo "❌ Tokens not found in response"
  exit 1
fi

echo "✅ Token tracking test passed"
