/**
 * Public surface of the lab (the simulated Internet): certificates and receiving MX servers;
 * the DNS side — zone keys, the zone signer, breakage helpers and the authoritative server;
 * the scenario catalogue, the whole Internet built from it (`startInternet`) and the demo.
 */
export * from './certs.ts';
export * from './receivers.ts';
export * from './answer.ts';
export * from './authority.ts';
export * from './breakage.ts';
export * from './lab-dns-error.ts';
export * from './signer.ts';
export * from './zone-index.ts';
export * from './zone-keys.ts';
export * from './scenario-types.ts';
export * from './scenario-error.ts';
export * from './scenario-kit.ts';
export * from './scenario-check.ts';
export * from './scenario-validate.ts';
export { createLabPki, hostCerts, type HostCerts, type LabPki } from './scenario-pki.ts';
export * from './scenario-build.ts';
export * from './scenarios.ts';
export * from './internet.ts';
export * from './demo.ts';
