/**
 * Public surface of policy: TLS modes and the per-host TLS decision, MX ordering, and the
 * classification of SMTP attempts into delivered / bounce / defer / next host. Pure.
 */
export * from './classify.ts';
export * from './mx.ts';
export * from './tls-policy.ts';
