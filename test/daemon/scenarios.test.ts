/**
 * Issue #10: every scenario of the lab catalogue through the daemon on its default SQLite queue
 * (scenario-suite.ts; scenarios-postgres.test.ts runs the same check on PostgreSQL). Lab on
 * 127.150.0.0/16, intake on 127.151.0.1.
 */
import { scenarioSuite } from './scenario-suite.ts';

scenarioSuite({
  store: 'SQLite',
  labBase: '127.150.0.0',
  intake: '127.151.0.1',
  queue: () => Promise.resolve({ close: () => Promise.resolve() }),
});
