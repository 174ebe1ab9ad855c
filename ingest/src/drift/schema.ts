// Tables of the drift engine, in the service's DuckDB file (created on start, idempotent).
//
// inferences            one row per inference record (PK id: a resent record is ignored); labels
//                       are filled in place when they arrive later
// drift_model_seen      first/last record time per model (cheap model catalog)
// drift_models          per-model settings (reference, thresholds, alerts) as JSON
// drift_datasets(+_rows) uploaded reference datasets
// drift_samples         per-bucket deterministic sample of a model's records (rolling references
//                       read these instead of re-scanning days of records)
// drift_embedding_samples the same for embeddings (drawn from the records that have one)
// drift_llm_samples     the same for LLM spans per (model, service)
// drift_sampled         which (source, model, service, bucket) samples exist (possibly empty)
// drift_bucket_stats    per-bucket model-quality counts (concept drift); dropped when labels change
// drift_results         drift per (model, service, type, feature, bucket) plus the alert
//                       hysteresis state after that bucket (so alerts can be replayed)
// drift_alerts          alerts (open/resolved)
// drift_cursor          last evaluated bucket per source and bucket size
// drift_dirty           evaluated buckets whose labels changed (concept drift is recomputed)
export const DRIFT_DDL = [
  `CREATE TABLE IF NOT EXISTS inferences (
     id VARCHAR PRIMARY KEY,
     model_id VARCHAR NOT NULL,
     model_version VARCHAR NOT NULL,
     ts_ms BIGINT NOT NULL,
     features JSON NOT NULL,
     pred_class VARCHAR,
     pred_value DOUBLE,
     pred_prob DOUBLE,
     label_class VARCHAR,
     label_value DOUBLE,
     label_ms BIGINT,
     embedding BLOB,
     source VARCHAR NOT NULL,
     trace_id VARCHAR,
     span_id VARCHAR,
     received_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_model_seen (
     model_id VARCHAR PRIMARY KEY, first_ms BIGINT NOT NULL, last_ms BIGINT NOT NULL, records BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_models (model_id VARCHAR PRIMARY KEY, config JSON NOT NULL, updated_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_datasets (
     dataset_id VARCHAR PRIMARY KEY, model_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
     row_count BIGINT NOT NULL, created_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_dataset_rows (
     dataset_id VARCHAR NOT NULL, row_no BIGINT NOT NULL, features JSON NOT NULL,
     pred_class VARCHAR, pred_value DOUBLE, pred_prob DOUBLE, label_class VARCHAR, label_value DOUBLE, embedding BLOB)`,
  `CREATE TABLE IF NOT EXISTS drift_samples (
     model_id VARCHAR NOT NULL, bucket_size_ms BIGINT NOT NULL, bucket_ms BIGINT NOT NULL, h UBIGINT NOT NULL,
     features JSON NOT NULL, pred_class VARCHAR, pred_value DOUBLE, pred_prob DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS drift_embedding_samples (
     model_id VARCHAR NOT NULL, bucket_size_ms BIGINT NOT NULL, bucket_ms BIGINT NOT NULL, h UBIGINT NOT NULL, embedding BLOB NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_llm_samples (
     model_id VARCHAR NOT NULL, service VARCHAR NOT NULL, bucket_size_ms BIGINT NOT NULL, bucket_ms BIGINT NOT NULL,
     h UBIGINT NOT NULL, input_tokens DOUBLE, output_tokens DOUBLE, latency_ms DOUBLE, cost_usd DOUBLE,
     error BOOLEAN NOT NULL, finish_reason VARCHAR NOT NULL, tool_call BOOLEAN NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_sampled (
     source VARCHAR NOT NULL, model_id VARCHAR NOT NULL, service VARCHAR NOT NULL, bucket_size_ms BIGINT NOT NULL,
     bucket_ms BIGINT NOT NULL, row_count BIGINT NOT NULL,
     PRIMARY KEY (source, model_id, service, bucket_size_ms, bucket_ms))`,
  `CREATE TABLE IF NOT EXISTS drift_bucket_stats (
     model_id VARCHAR NOT NULL, bucket_size_ms BIGINT NOT NULL, bucket_ms BIGINT NOT NULL, stats JSON NOT NULL,
     PRIMARY KEY (model_id, bucket_size_ms, bucket_ms))`,
  `CREATE TABLE IF NOT EXISTS drift_results (
     model_id VARCHAR NOT NULL, service VARCHAR NOT NULL, drift_type VARCHAR NOT NULL, feature VARCHAR NOT NULL,
     bucket_size_ms BIGINT NOT NULL, bucket_ms BIGINT NOT NULL,
     test VARCHAR NOT NULL, statistic DOUBLE, p_value DOUBLE, threshold DOUBLE,
     score DOUBLE NOT NULL, score_threshold DOUBLE NOT NULL, drift BOOLEAN NOT NULL,
     reference_count BIGINT NOT NULL, current_count BIGINT NOT NULL, details JSON NOT NULL,
     alertable BOOLEAN NOT NULL, hys_above INTEGER NOT NULL, hys_below INTEGER NOT NULL, alert_id VARCHAR,
     computed_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_alerts (
     id VARCHAR PRIMARY KEY, model_id VARCHAR NOT NULL, service VARCHAR NOT NULL, drift_type VARCHAR NOT NULL,
     feature VARCHAR NOT NULL, bucket_size_ms BIGINT NOT NULL, state VARCHAR NOT NULL,
     opened_ms BIGINT NOT NULL, open_bucket_ms BIGINT NOT NULL, resolved_ms BIGINT, resolve_bucket_ms BIGINT,
     resolved_by VARCHAR, score DOUBLE NOT NULL, peak_score DOUBLE NOT NULL, threshold DOUBLE NOT NULL,
     updated_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_cursor (key VARCHAR PRIMARY KEY, bucket_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS drift_dirty (
     model_id VARCHAR NOT NULL, bucket_size_ms BIGINT NOT NULL, bucket_ms BIGINT NOT NULL,
     PRIMARY KEY (model_id, bucket_size_ms, bucket_ms))`,
];
