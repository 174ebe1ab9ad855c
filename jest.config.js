// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // The query model's unit tests run here too (it has no jest setup of its own).
  testMatch: [...base.testMatch, '<rootDir>/query-model/src/**/*.test.ts'],
  setupFilesAfterEnv: [...base.setupFilesAfterEnv, '<rootDir>/src/jestSetup.ts'],
};
