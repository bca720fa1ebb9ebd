/**
 * Public surface of the lab (the simulated Internet), a neighbourhood of roles:
 * - dns/: zone keys, the zone signer, breakage helpers, the zone index, answers and the
 *   authoritative server;
 * - pki/: the private CA, leaf certificates and the scenario PKI;
 * - smtp/: the receiving MX servers;
 * - scenarios/: the catalogue as data, how it is built into zones and hosts and checked;
 * - internet.ts: the whole Internet started from the catalogue (`startInternet`); demo.ts: the
 *   demo's script.
 * The lab plays the Internet, not the MTA: it builds no resolver and no delivery; its callers
 * get plain data (e.g. `Internet.dnsSettings`) and wire the MTA side themselves.
 */
export * from './pki/certs.ts';
export * from './smtp/receivers.ts';
export * from './dns/answer.ts';
export * from './dns/authority.ts';
export * from './dns/breakage.ts';
export * from './dns/lab-dns-error.ts';
export * from './dns/signer.ts';
export * from './dns/zone-index.ts';
export * from './dns/zone-keys.ts';
export * from './dns/zone-edit.ts';
export * from './scenarios/types.ts';
export * from './scenarios/error.ts';
export * from './scenarios/kit.ts';
export * from './scenarios/check.ts';
export * from './scenarios/validate.ts';
export { createLabPki, hostCerts, type HostCerts, type LabPki } from './pki/lab-pki.ts';
export * from './scenarios/build.ts';
export * from './scenarios/catalogue.ts';
export * from './scenarios/publish.ts';
export * from './internet.ts';
export * from './demo.ts';
