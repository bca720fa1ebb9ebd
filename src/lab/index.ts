/** Public surface of the lab (the simulated Internet): certificates and receiving MX servers. */
export * from './certs.ts';
export * from './receivers.ts';
