/** The rdata codec registry: type number → codec, and the typed map used by `isType`. */
import { aCodec, type ARdata } from './a.ts';
import { aaaaCodec, type AaaaRdata } from './aaaa.ts';
import { caaCodec, type CaaRdata } from './caa.ts';
import type { RdataCodec } from './codec.ts';
import { dnskeyCodec, type DnskeyRdata } from './dnskey.ts';
import { dsCodec, type DsRdata } from './ds.ts';
import { mxCodec, type MxRdata } from './mx.ts';
import { nsecCodec, type NsecRdata } from './nsec.ts';
import { nsec3Codec, nsec3ParamCodec, type Nsec3ParamRdata, type Nsec3Rdata } from './nsec3.ts';
import { optCodec, type OptRdata } from './opt.ts';
import { rrsigCodec, type RrsigRdata } from './rrsig.ts';
import { soaCodec, type SoaRdata } from './soa.ts';
import { srvCodec, type SrvRdata } from './srv.ts';
import { cnameCodec, dnameCodec, nsCodec, ptrCodec, type TargetRdata } from './target.ts';
import { tlsaCodec, type TlsaRdata } from './tlsa.ts';
import { hinfoCodec, txtCodec, type HinfoRdata, type TxtRdata } from './txt.ts';

/** Decoded rdata by type number. */
export interface RdataMap {
  1: ARdata;
  2: TargetRdata;
  5: TargetRdata;
  6: SoaRdata;
  12: TargetRdata;
  13: HinfoRdata;
  15: MxRdata;
  16: TxtRdata;
  28: AaaaRdata;
  33: SrvRdata;
  39: TargetRdata;
  41: OptRdata;
  43: DsRdata;
  46: RrsigRdata;
  47: NsecRdata;
  48: DnskeyRdata;
  50: Nsec3Rdata;
  51: Nsec3ParamRdata;
  52: TlsaRdata;
  257: CaaRdata;
}

const ALL: readonly RdataCodec<never>[] = [
  aCodec,
  nsCodec,
  cnameCodec,
  soaCodec,
  ptrCodec,
  hinfoCodec,
  mxCodec,
  txtCodec,
  aaaaCodec,
  srvCodec,
  dnameCodec,
  optCodec,
  dsCodec,
  rrsigCodec,
  nsecCodec,
  dnskeyCodec,
  nsec3Codec,
  nsec3ParamCodec,
  tlsaCodec,
  caaCodec,
] as unknown as readonly RdataCodec<never>[];

const BY_TYPE = new Map<number, RdataCodec<unknown>>(
  ALL.map((c) => [c.type, c as unknown as RdataCodec<unknown>]),
);

/** The codec of a type, or undefined for types kept as raw RFC 3597 data. */
export function codecFor(type: number): RdataCodec<unknown> | undefined {
  return BY_TYPE.get(type);
}

export * from './a.ts';
export * from './aaaa.ts';
export * from './caa.ts';
export type { NameOptions, RdataCodec } from './codec.ts';
export * from './dnskey.ts';
export * from './ds.ts';
export * from './mx.ts';
export * from './nsec.ts';
export * from './nsec3.ts';
export * from './opt.ts';
export * from './rrsig.ts';
export * from './soa.ts';
export * from './srv.ts';
export * from './target.ts';
export * from './tlsa.ts';
export * from './txt.ts';
export * from './type-bitmap.ts';
export * from './unknown.ts';
