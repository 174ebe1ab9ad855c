// The erasure test again, with the service on ClickHouse in-process (chdb).
process.env.PYFLARE_TEST_DELETION_STORAGE = 'clickhouse';
await import('./deletion.test.js');
