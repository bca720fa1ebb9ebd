/**
 * A queue node that dies: the suite's SIGKILL test starts this script, which opens the store at
 * argv[2], claims everything due at argv[3] with a lease of argv[4] ms as owner `child`, prints
 * the claimed row ids as one JSON line, and then waits to be killed (it exits by itself after a
 * minute, so it can never outlive a crashed test run). Test support only.
 */
import { openQueueStore } from '../../src/queue/index.ts';

const [url, now, leaseMs] = process.argv.slice(2);
setTimeout(() => process.exit(3), 60_000);
try {
  const store = await openQueueStore(url ?? '');
  const claimed = await store.claim({
    owner: 'child',
    now: Number(now),
    leaseMs: Number(leaseMs),
    limit: 100,
  });
  process.stdout.write(`${JSON.stringify(claimed.flatMap((c) => c.recipients.map((r) => r.rid)))}\n`);
  // Keep running (the store, the one-minute timer) until the test kills this process.
} catch (err) {
  process.stderr.write(`claim-child: ${String(err)}\n`);
  process.exit(2);
}
