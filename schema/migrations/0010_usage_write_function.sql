-- The usage write (worker/usage/write-postgres.ts calls it): a batch of usage events, one JSON
-- array of flat records (worker/usage/batch-json.ts), into the ledger and every counter fed by it, in
-- ONE statement. A single statement is atomic; being in a PL/pgSQL function, it is planned once per
-- connection instead of on every flush (a shard keeps its connection: worker/db.ts, KeptPool).
-- Planning it costs about as much as writing 40 events, and every shard flushes every 200 ms under
-- traffic. Postgres also switches to a cached generic plan after a few calls.
--
-- Rows are keyed by request id and every counter aggregates only the rows `inserted` returned, so
-- replaying a batch (or the written half of one) changes nothing: exactly once.
--
-- Every upsert inserts its keys in ORDER BY <conflict key>, so the row locks are taken in one order
-- in every flush: two shards flushing at once cannot deadlock.
--
-- Column names are written out: schema/ is their source of truth and the usage tests, which read
-- the tables through it, catch any drift. A change to this statement is a new migration that
-- replaces the function.
CREATE OR REPLACE FUNCTION finops.write_usage_batch(p_batch json) RETURNS integer
LANGUAGE plpgsql AS $write_usage_batch$
#variable_conflict use_column
DECLARE
  v_inserted integer;
BEGIN
    WITH batch AS (
      SELECT * FROM json_to_recordset(p_batch) AS x(
        i integer, rid text, at timestamptz, key uuid, org uuid, offer uuid, model uuid, inst uuid,
        endpoint text, kind text, status text, tin bigint, tout bigint, est boolean, pin numeric,
        pout numeric, audio numeric, chars bigint, paudio numeric, pchar numeric, charge numeric,
        meta jsonb, hf text, session text, http integer, dur bigint, ttft bigint, dur_le integer,
        ttft_le integer)
    ),
    inserted AS (
      INSERT INTO finops.inference_usage (
        request_id, occurred_at, api_key_id, consumer_organization_id, organization_model_id,
        model_id, instance_id, endpoint, kind, status, input_tokens, output_tokens, total_tokens,
        usage_estimated, unit_price_input_per_1k, unit_price_output_per_1k, audio_seconds,
        input_characters, unit_price_per_audio_second, unit_price_per_character, charged_amount,
        metadata)
      SELECT rid, at, key, org, offer, model, inst, endpoint, kind, status, tin, tout, tin + tout,
        est, pin, pout, audio, chars, paudio, pchar, charge, meta
      FROM batch
      ON CONFLICT (request_id) DO NOTHING
      RETURNING request_id
    ),
    fresh AS (SELECT batch.* FROM batch JOIN inserted ON inserted.request_id = batch.rid),
    -- A refused request reached no host and no session: it is in the ledger and the /metrics counters only.
    served AS (SELECT * FROM fresh WHERE status <> 'refused'),
    instance_totals AS (
      INSERT INTO public.instance_request_metrics AS t (
        instance_id, total_requests, successful_requests, failed_requests, aborted_requests,
        total_input_tokens, total_output_tokens, total_tokens, first_request_at, last_request_at)
      SELECT inst, count(*), count(*) FILTER (WHERE status = 'succeeded'),
        count(*) FILTER (WHERE status = 'failed'),
        count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed')),
        sum(tin), sum(tout), sum(tin + tout), min(at), max(at)
      FROM served WHERE inst IS NOT NULL
      GROUP BY inst ORDER BY inst
      ON CONFLICT (instance_id) DO UPDATE SET
        total_requests = t.total_requests + excluded.total_requests,
        successful_requests = t.successful_requests + excluded.successful_requests,
        failed_requests = t.failed_requests + excluded.failed_requests,
        aborted_requests = t.aborted_requests + excluded.aborted_requests,
        total_input_tokens = t.total_input_tokens + excluded.total_input_tokens,
        total_output_tokens = t.total_output_tokens + excluded.total_output_tokens,
        total_tokens = t.total_tokens + excluded.total_tokens,
        first_request_at = least(t.first_request_at, excluded.first_request_at),
        last_request_at = greatest(t.last_request_at, excluded.last_request_at)
    ),
    model_totals AS (
      INSERT INTO public.runtime_models AS t (model_id, first_seen_at, last_seen_at, total_requests, failed_requests)
      SELECT hf, min(at), max(at), count(*), count(*) FILTER (WHERE status = 'failed')
      FROM served
      GROUP BY hf ORDER BY hf
      ON CONFLICT (model_id) DO UPDATE SET
        last_seen_at = greatest(t.last_seen_at, excluded.last_seen_at),
        total_requests = t.total_requests + excluded.total_requests,
        failed_requests = t.failed_requests + excluded.failed_requests
    ),
    -- Per session: the totals over its events, with the model and instance of its latest one.
    session_totals AS (
      SELECT DISTINCT ON (org, session) org, session, model, inst,
        count(*) OVER w AS requests, sum(tin + tout) OVER w AS tokens,
        min(at) OVER w AS first_at, max(at) OVER w AS last_at
      FROM served WHERE session <> ''
      WINDOW w AS (PARTITION BY org, session)
      ORDER BY org, session, at DESC, i DESC
    ),
    sessions AS (
      INSERT INTO public.chat_sessions AS t (
        organization_id, session_key, model_id, instance_id, request_count, total_tokens, created_at,
        last_used_at)
      SELECT org, session, model, inst, requests, tokens, first_at, last_at
      FROM session_totals ORDER BY org, session
      -- Shards flush independently, so this batch may be older than what the row has seen: it then
      -- adds to the counters but must not move the session back to an earlier model or instance.
      ON CONFLICT (organization_id, session_key) DO UPDATE SET
        model_id = CASE WHEN excluded.last_used_at >= t.last_used_at THEN excluded.model_id ELSE t.model_id END,
        instance_id = CASE WHEN excluded.last_used_at >= t.last_used_at
          THEN coalesce(excluded.instance_id, t.instance_id) ELSE t.instance_id END,
        request_count = t.request_count + excluded.request_count,
        total_tokens = t.total_tokens + excluded.total_tokens,
        last_used_at = greatest(t.last_used_at, excluded.last_used_at)
    ),
    -- The /metrics counters (refused requests included), on the same exactly-once path as the ledger.
    counters AS (
      INSERT INTO finops.usage_counters AS t (
        organization_id, model, http_status, outcome, requests, input_tokens, output_tokens,
        charged_amount, duration_ms_sum, ttft_count, ttft_ms_sum)
      SELECT org, hf, http, status, count(*), sum(tin), sum(tout), sum(charge), sum(dur), count(ttft),
        coalesce(sum(ttft), 0)
      FROM fresh
      GROUP BY org, hf, http, status ORDER BY org, hf, http, status
      ON CONFLICT (organization_id, model, http_status, outcome) DO UPDATE SET
        requests = t.requests + excluded.requests,
        input_tokens = t.input_tokens + excluded.input_tokens,
        output_tokens = t.output_tokens + excluded.output_tokens,
        charged_amount = t.charged_amount + excluded.charged_amount,
        duration_ms_sum = t.duration_ms_sum + excluded.duration_ms_sum,
        ttft_count = t.ttft_count + excluded.ttft_count,
        ttft_ms_sum = t.ttft_ms_sum + excluded.ttft_ms_sum
    ),
    buckets AS (
      INSERT INTO finops.usage_histogram_buckets AS t (organization_id, model, histogram, le_ms, count)
      SELECT org, hf, h.histogram, h.le_ms, count(*)
      FROM fresh CROSS JOIN LATERAL (VALUES ('duration', dur_le), ('ttft', ttft_le)) AS h(histogram, le_ms)
      WHERE h.le_ms IS NOT NULL
      GROUP BY org, hf, h.histogram, h.le_ms ORDER BY org, hf, h.histogram, h.le_ms
      ON CONFLICT (organization_id, model, histogram, le_ms) DO UPDATE SET count = t.count + excluded.count
    )
    SELECT count(*)::integer INTO v_inserted FROM inserted;
  RETURN v_inserted;
END
$write_usage_batch$;
