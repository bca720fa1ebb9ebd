/**
 * Public surface of the checker (C5): `checkDomain` (the DANE check of a mail domain, behind
 * `dane-mta check` and the web page), its report and findings, the text form, the address-range
 * guard of the web page, the SMTP probe, and `tlsaPlan` (the records `dane-mta tlsa` prints).
 */
export { checkDomain, type CheckOptions } from './check.ts';
export { parseCheckDomain } from './domain.ts';
export { exitStatusOf, FINDINGS, finding, isUnknown, verdictOf, type FindingCode } from './findings.ts';
export { nonPublicRange } from './addresses.ts';
export { smtpProbe, type Probe, type ProbeResult, type ProbeTarget } from './probe.ts';
export { reportText } from './text.ts';
export * from './types.ts';
export { tlsaPlan, type PemSource, type PlannedRecord, type TlsaPlanOptions } from './tlsa-plan.ts';
