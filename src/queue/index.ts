/**
 * Public surface of the queue: the `QueueStore` contract and its types, and `openQueueStore`
 * (`sqlite:/path` or `postgres://…`).
 */
export * from './types.ts';
