/** dane-mta's library API. */
export * from './util/index.ts';
