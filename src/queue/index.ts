/**
 * Public surface of the queue: the `QueueStore` contract and its types, `openQueueStore`
 * (`sqlite:/path` or `postgres://…`) and `newQueueId`.
 */
export * from './types.ts';
export { openQueueStore, parseQueueUrl, redactUrl } from './open.ts';
export type { QueueTarget } from './open.ts';
export { newQueueId, queueIdTime } from './queue-id.ts';
