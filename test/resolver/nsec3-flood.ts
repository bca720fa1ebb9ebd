/**
 * The NSEC3 hashing-amplification zone (the CVE-2023-50868 class) for the limits test and the
 * CPU benchmark: a zone owner who forges nothing — every record is signed with the zone's own
 * keys — makes one lookup as expensive as it can:
 * - NSEC3 with 150 iterations (the most that is still validated, RFC 9276 §3.2) and three
 *   parameter sets (three salts, each chain signed; RFC 5155 §8.2 lets them coexist);
 * - a name `DEPTH` labels below the apex, so every ancestor is an empty non-terminal that exists;
 * - an answer that names that deep ancestor as the signer of the SOA (an extra RRSIG whose
 *   signature is junk), so the key walk descends label by label down to it, and at every step
 *   the NSEC3 records of the answer (of all three parameter sets) are tried as proofs of "no DS
 *   here" before the DS is asked for. The DS answers themselves are the zone's own, small ones.
 * Test support only.
 */
import { signZone, type SignedZone } from '../../src/lab/index.ts';
import {
  isType,
  makeRr,
  Name,
  RRType,
  type Message,
  type Rr,
  type RrsigRdata,
} from '../../src/dns/wire/index.ts';
import { basicWorld, type World } from './world.ts';

/** Labels between the apex and the deepest name (all of them empty non-terminals). */
export const DEPTH = 100;
/** NSEC3 iterations of every parameter set: the highest count still validated. */
export const ITERATIONS = 150;

const ZONE = Name.parse('example.test.');
/** `a.a.…a.example.test.`: the deep empty non-terminal named as signer. */
export const DEEP_SIGNER = Name.parse(`${'a.'.repeat(DEPTH)}example.test.`);
/** The question: a type the deepest name does not have (a NODATA answer). */
export const FLOOD_QUESTION = { name: DEEP_SIGNER.prepend('x'), type: RRType.TXT } as const;

/** NSEC3 records per extra parameter set in the answer: enough to be tried, too few to prove. */
const EXTRA_PER_SET = 2;

/**
 * A few NSEC3 records (and their RRSIGs) of the zone signed again with another salt: validly
 * signed, so each parameter set is verified and tried; useless as proofs, so every set is tried
 * to the end.
 */
function otherChain(zone: SignedZone, salt: number): Rr[] {
  const again = signZone(
    { origin: zone.origin, records: zone.source },
    { ...zone.options, denial: { nsec3: { iterations: ITERATIONS, salt: Uint8Array.of(salt) } } },
  );
  const nsec3 = again.records.filter((rr) => rr.type === RRType.NSEC3).slice(0, EXTRA_PER_SET);
  const sigs = again.records.filter(
    (rr) =>
      isType(rr, RRType.RRSIG) &&
      rr.data.typeCovered === RRType.NSEC3 &&
      nsec3.some((n) => n.name.equals(rr.name)),
  );
  return [...nsec3, ...sigs];
}

/** An RRSIG over the SOA that names `signer`: it cannot verify, but it steers the key walk. */
function junkSoaSig(reply: Message, signer: Name): Rr<RrsigRdata> | undefined {
  const sig = reply.authorities.find(
    (rr): rr is Rr<RrsigRdata> => isType(rr, RRType.RRSIG) && rr.data.typeCovered === RRType.SOA,
  );
  if (sig === undefined) return undefined;
  return makeRr<RrsigRdata>({
    name: sig.name,
    type: RRType.RRSIG,
    ttl: sig.ttl,
    data: { ...sig.data, signerName: signer },
  });
}

/**
 * The world: root, `test.` and the hostile `example.test.` (NSEC3, 150 iterations; the answer
 * to FLOOD_QUESTION carries records of three parameter sets and the junk SOA signature).
 */
export function nsec3FloodWorld(): World {
  let extra: Rr[] = [];
  const world = basicWorld({
    example: {
      sign: { iterations: ITERATIONS },
      records: `x.${'a.'.repeat(DEPTH)}example.test. IN A 192.0.2.40\nwww IN A 192.0.2.1\n`,
      mutate: (z) => {
        extra = [...otherChain(z, 0xbb), ...otherChain(z, 0xcc)];
        return z;
      },
    },
  });
  const server = [...world.byAddress].find(([, zones]) => zones.some((z) => z.origin.equals(ZONE)))?.[0];
  world.tamper = (query, address, reply) => {
    const q = query.questions[0];
    const flood = q?.name.equals(FLOOD_QUESTION.name) === true && q.type === FLOOD_QUESTION.type;
    if (address !== server || !flood) return reply;
    const junk = junkSoaSig(reply, DEEP_SIGNER);
    return { ...reply, authorities: [...reply.authorities, ...extra, ...(junk === undefined ? [] : [junk])] };
  };
  return world;
}
