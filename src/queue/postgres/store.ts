import type { OpenOptions, QueueStore } from '../types.ts';
import { QueueError } from '../types.ts';

export function openPostgresStore(_url: string, display: string, _opts: OpenOptions): Promise<QueueStore> {
  return Promise.reject(new QueueError('QUEUE_ERR_STORE', `queue store ${display}: not yet`));
}
