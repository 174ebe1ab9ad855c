// The drift integration test again, with the service (spans and drift) on ClickHouse in-process.
process.env.PYFLARE_TEST_DRIFT_STORAGE = 'clickhouse';
await import('./drift.integration.test.js');
