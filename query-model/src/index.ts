// The PyFlare query model, defined once. The data source editors build these queries, the
// Go backend forwards them untouched, and the ingest service validates them with the same
// zod schemas before it runs them.
export * from './query';
export * from './migrate';
export * from './wire';
export * from './search';
export * from './variables';
