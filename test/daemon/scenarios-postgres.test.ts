/**
 * Issue #12: the daemon's end-to-end check (scenario-suite.ts) on a PostgreSQL queue — a private
 * server (test/helpers/postgres.ts) on 127.53.26.1 (address plan N 26), a database of its own;
 * lab on 127.125.0.0/16, intake on 127.126.0.1. Without PostgreSQL the test is skipped and says
 * why; DANE_MTA_INTEROP=1 makes it mandatory.
 */
import { addressPlan } from '../interop/index.ts';
import { requirePostgres, startPostgres } from '../helpers/postgres.ts';
import { scenarioSuite } from './scenario-suite.ts';

scenarioSuite({
  store: 'PostgreSQL',
  labBase: '127.125.0.0',
  intake: '127.126.0.1',
  queue: async (t) => {
    if (!requirePostgres(t)) return undefined;
    const server = await startPostgres({ address: addressPlan(26).dns(1), label: 'scenarios' });
    const db = await server.createDatabase().catch(async (e: unknown) => {
      await server.destroy();
      throw e;
    });
    return {
      url: db.url,
      close: async () => {
        await db.drop();
        await server.destroy();
      },
    };
  },
});
