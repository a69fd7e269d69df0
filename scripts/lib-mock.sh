# Shared by the mock-provider E2E scripts: create mock instances through the admin API, wait for
# them, read their metrics, delete them on exit. Needs lib.sh first. API_KEY must be an admin key.
# shellcheck shell=bash

# The router's database, for the metrics checks (psql); without it they go through the API.
DATABASE_URL="${DATABASE_URL:-${DB_URL:-}}"
WAIT_SECONDS="${WAIT_SECONDS:-60}"
CREATED_INSTANCES=()

fail() {
  echo "❌ $*"
  exit 1
}

# api <method> <path> [json body] : sets API_STATUS and API_BODY.
api() {
  local args=(-s -o /tmp/lib-mock-body.$$ -w '%{http_code}' -X "$1" "${API_BASE_URL}$2" -H "Authorization: Bearer ${API_KEY}")
  if [ -n "${3:-}" ]; then args+=(-H "Content-Type: application/json" -d "$3"); fi
  API_STATUS=$(curl "${args[@]}") || API_STATUS=000
  API_BODY=$(cat /tmp/lib-mock-body.$$ 2>/dev/null || true)
  rm -f /tmp/lib-mock-body.$$
}

# Deletes every instance this script created (the mock provider then stops their hosts).
cleanup_instances() {
  local id
  for id in "${CREATED_INSTANCES[@]}"; do
    api DELETE "/instances/${id}"
    echo "🧹 deleted instance ${id} (HTTP ${API_STATUS})"
  done
  CREATED_INSTANCES=()
}
trap cleanup_instances EXIT

# create_mock_instance : POST /deployments {provider: mock, model}, no base URL; prints nothing, sets INSTANCE_ID.
create_mock_instance() {
  api POST /deployments "{\"provider\": \"mock\", \"model\": \"${MODEL}\"}"
  [ "$API_STATUS" = 201 ] || fail "POST /deployments answered ${API_STATUS}: ${API_BODY}"
  INSTANCE_ID=$(echo "$API_BODY" | json_get '.id')
  [ -n "$INSTANCE_ID" ] || fail "POST /deployments gave no instance id: ${API_BODY}"
  CREATED_INSTANCES+=("$INSTANCE_ID")
  echo "🆕 mock instance ${INSTANCE_ID} created"
}

# wait_ready <id> : until GET /instances/{id} says ready, or WAIT_SECONDS.
wait_ready() {
  local deadline=$((SECONDS + WAIT_SECONDS)) status=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    api GET "/instances/$1"
    status=$(echo "$API_BODY" | json_get '.status')
    if [ "$status" = ready ]; then
      echo "✅ instance $1 is ready"
      return 0
    fi
    sleep 0.5
  done
  fail "instance $1 not ready after ${WAIT_SECONDS} s (status ${status:-unknown}: ${API_BODY})"
}

# sql <query> : one value from the router's database (psql -At).
sql() {
  psql "$DATABASE_URL" -XAtq -c "$1"
}

have_sql() {
  [ -n "$DATABASE_URL" ] && command -v psql >/dev/null 2>&1
}

# metrics <id> : sets M_REQUESTS M_SUCCESS M_INPUT M_OUTPUT M_TOTAL from instance_request_metrics.
metrics() {
  if have_sql; then
    local row
    row=$(sql "SELECT total_requests, successful_requests, input_tokens, output_tokens, total_tokens
               FROM instance_request_metrics WHERE instance_id = '$1'")
    IFS='|' read -r M_REQUESTS M_SUCCESS M_INPUT M_OUTPUT M_TOTAL <<<"${row:-0|0|0|0|0}"
  else
    api GET "/instances/$1/metrics"
    M_REQUESTS=$(echo "$API_BODY" | json_get '.total_requests')
    M_SUCCESS=$(echo "$API_BODY" | json_get '.successful_requests')
    M_INPUT=$(echo "$API_BODY" | json_get '.input_tokens')
    M_OUTPUT=$(echo "$API_BODY" | json_get '.output_tokens')
    M_TOTAL=$(echo "$API_BODY" | json_get '.total_tokens')
  fi
}

# usage_rows <id> : sets U_ROWS U_INPUT U_OUTPUT U_TOTAL from finops.inference_usage (needs psql).
usage_rows() {
  local row
  row=$(sql "SELECT count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(total_tokens), 0)
             FROM finops.inference_usage WHERE instance_id = '$1'")
  IFS='|' read -r U_ROWS U_INPUT U_OUTPUT U_TOTAL <<<"$row"
}

# wait_metrics <id> <requests> <input> <output> : usage is recorded after the answer; wait for it.
wait_metrics() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  while [ "$SECONDS" -lt "$deadline" ]; do
    metrics "$1"
    if [ "${M_REQUESTS:-0}" = "$2" ] && [ "${M_INPUT:-0}" = "$3" ] && [ "${M_OUTPUT:-0}" = "$4" ]; then break; fi
    sleep 0.5
  done
  [ "${M_REQUESTS:-0}" = "$2" ] || fail "instance_request_metrics for $1: ${M_REQUESTS:-0} requests, expected $2"
  [ "${M_SUCCESS:-0}" = "$2" ] || fail "instance_request_metrics for $1: ${M_SUCCESS:-0} successful, expected $2"
  [ "${M_INPUT:-0}" = "$3" ] && [ "${M_OUTPUT:-0}" = "$4" ] ||
    fail "instance_request_metrics for $1: tokens ${M_INPUT:-0}/${M_OUTPUT:-0}, expected $3/$4"
  [ "${M_TOTAL:-0}" = $(($3 + $4)) ] || fail "instance_request_metrics for $1: total_tokens ${M_TOTAL:-0}, expected $(($3 + $4))"
  echo "✅ instance_request_metrics for $1: requests=${M_REQUESTS}, input=${M_INPUT}, output=${M_OUTPUT}, total=${M_TOTAL}"
  if ! have_sql; then
    echo "⚠️  finops.inference_usage not checked: set DATABASE_URL and install psql"
    return 0
  fi
  while [ "$SECONDS" -lt "$deadline" ]; do
    usage_rows "$1"
    if [ "$U_ROWS" = "$2" ]; then break; fi
    sleep 0.5
  done
  [ "$U_ROWS" = "$2" ] || fail "finops.inference_usage for $1: ${U_ROWS} rows, expected $2"
  [ "$U_INPUT" = "$3" ] && [ "$U_OUTPUT" = "$4" ] && [ "$U_TOTAL" = $(($3 + $4)) ] ||
    fail "finops.inference_usage for $1: tokens ${U_INPUT}/${U_OUTPUT}/${U_TOTAL}, expected $3/$4/$(($3 + $4))"
  echo "✅ finops.inference_usage for $1: rows=${U_ROWS}, input=${U_INPUT}, output=${U_OUTPUT}, total=${U_TOTAL}"
}
