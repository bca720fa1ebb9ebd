/**
 * Public surface of policy: TLS modes and the per-host TLS decision, MX ordering, the vocabulary
 * of dispositions and verdicts, and classify.ts — the one module that turns facts (DNS results,
 * SMTP replies, TLS and DANE verdicts) into dispositions. Pure.
 */
export * from './classify.ts';
export * from './disposition.ts';
export * from './mx.ts';
export * from './schedule.ts';
export * from './tls-policy.ts';
