/**
 * Name constraints on certification paths (RFC 5280 §4.2.1.10, §6.1.3 (b) and (c)): the
 * nameConstraints extension decoded into permitted and excluded subtrees, and the check of a
 * certificate's names against the subtrees of a CA above it. dNSName subtrees are enforced on
 * subjectAltName dNSNames (and on a leaf's CN when it has no DNS SAN, as OpenSSL does); a
 * subtree of any other name form is enforced by refusal: when the certificate carries a name of
 * that form, the path fails (fail closed), and when it carries none the subtree does not apply.
 * Must never: let a constraint it cannot evaluate pass a name of that form; read the clock.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { NameConstraints, type GeneralName, type GeneralSubtree } from '@peculiar/asn1-x509';
import type { DistinguishedName } from './dn.ts';
import { normalizeDnsName, printable } from './names.ts';

/** The GeneralName forms (RFC 5280 §4.2.1.6), by their ASN.1 field names. */
export const GENERAL_NAME_FORMS = [
  'otherName',
  'rfc822Name',
  'dNSName',
  'x400Address',
  'directoryName',
  'ediPartyName',
  'uniformResourceIdentifier',
  'iPAddress',
  'registeredID',
] as const;
export type GeneralNameForm = (typeof GENERAL_NAME_FORMS)[number];

/** One subtree: its name form and, for dNSName, the normalised name (leading dot kept). */
export interface Subtree {
  readonly form: GeneralNameForm;
  /** dNSName only: lower case, no trailing dot; '' matches every name; '.x' only below x. */
  readonly dns?: string;
  /** minimum ≠ 0 or maximum present: RFC 5280 says these are not used; we cannot honour them. */
  readonly minMax: boolean;
}

/** A decoded nameConstraints extension. */
export interface NameConstraintsInfo {
  readonly permitted: readonly Subtree[];
  readonly excluded: readonly Subtree[];
}

/** The names of a certificate, by form, as the check needs them. */
export interface CertificateNames {
  readonly subject: DistinguishedName;
  readonly dnsNames: readonly string[];
  readonly commonNames: readonly string[];
  /** The forms present in subjectAltName. */
  readonly altNameForms: readonly GeneralNameForm[];
}

/** A constraint violation, with the OpenSSL verify error that names it. */
export interface NameConstraintProblem {
  readonly opensslCode:
    'PERMITTED_VIOLATION' | 'EXCLUDED_VIOLATION' | 'SUBTREE_MINMAX' | 'UNSUPPORTED_CONSTRAINT_TYPE';
  readonly what: string;
}

/** The form of a GeneralName (the one field that is set). */
export function generalNameForm(gn: GeneralName): GeneralNameForm | undefined {
  return GENERAL_NAME_FORMS.find((f) => gn[f] !== undefined);
}

function subtree(s: GeneralSubtree): Subtree {
  const form = generalNameForm(s.base) ?? 'otherName';
  const minMax = s.minimum !== 0 || s.maximum !== undefined;
  if (form !== 'dNSName') return { form, minMax };
  const raw = (s.base.dNSName ?? '').toLowerCase();
  const dns = raw.endsWith('.') && raw.length > 1 ? raw.slice(0, -1) : raw;
  return { form, dns, minMax };
}

/** Decode a nameConstraints extension value; throws when it is malformed (the caller records that). */
export function decodeNameConstraints(
  extnValue: Parameters<typeof AsnConvert.parse>[0],
): NameConstraintsInfo {
  const nc = AsnConvert.parse(extnValue, NameConstraints);
  const list = (trees: readonly GeneralSubtree[] | undefined): Subtree[] => (trees ?? []).map(subtree);
  return { permitted: list(nc.permittedSubtrees), excluded: list(nc.excludedSubtrees) };
}

/*
 * RFC 5280 §4.2.1.10: "DNS name restrictions are expressed as host.example.com. Any DNS name
 * that can be constructed by simply adding zero or more labels to the left-hand side of the name
 * satisfies the name constraint." A leading period (".example.com") allows only names below it,
 * as OpenSSL, Go and NSS read it; an empty name allows every name.
 */
function dnsWithin(name: string, base: string): boolean {
  if (base === '') return true;
  if (base.startsWith('.')) return name.endsWith(base);
  return name === base || name.endsWith(`.${base}`);
}

/**
 * Could the (possibly wildcard) name denote a host inside `base`? A wildcard `*.x` stands for
 * every one-label name below x: it touches `base` when x is inside it or `base` is one of them.
 */
function dnsTouches(name: string, base: string): boolean {
  if (dnsWithin(name, base)) return true;
  if (!name.startsWith('*.')) return false;
  const parent = name.slice(2);
  if (dnsWithin(parent, base)) return true;
  const b = base.startsWith('.') ? base.slice(1) : base;
  return b.endsWith(`.${parent}`) && !b.slice(0, -parent.length - 1).includes('.');
}

/** The DNS names of a certificate subject to dNSName constraints. */
function dnsNamesOf(cert: CertificateNames, isLeaf: boolean): string[] {
  // OpenSSL applies dNSName constraints to a leaf's CN when it has no DNS SAN: our name
  // matching (names.ts) falls back to that CN, so it must not escape the constraints.
  const names = cert.dnsNames.length > 0 || !isLeaf ? cert.dnsNames : cert.commonNames;
  return names.map((n) => normalizeDnsName(n)).filter((n) => n !== undefined);
}

/** Does the certificate carry a name of `form` (RFC 5280 §6.1.3 (b): subject and subjectAltName)? */
function hasNameOfForm(cert: CertificateNames, form: GeneralNameForm, isLeaf: boolean): boolean {
  if (form === 'dNSName') return dnsNamesOf(cert, isLeaf).length > 0;
  if (form === 'directoryName' && cert.subject.rdns.length > 0) return true;
  // RFC 5280 §4.2.1.10: without a subjectAltName, "the rfc822Name constraint MUST be applied to
  // the attribute of type emailAddress in the subject distinguished name".
  const email = cert.subject.rdns.some((rdn) => rdn.some((a) => a.oid === '1.2.840.113549.1.9.1'));
  if (form === 'rfc822Name' && email) return true;
  return cert.altNameForms.includes(form);
}

/**
 * Check the names of `cert` against the constraints of a CA above it (`caName` for messages).
 * RFC 5280 §6.1.3 (b): each name must be "within one of the permitted_subtrees" of its type (when
 * there are subtrees of that type); (c): it must not be "within any of the excluded_subtrees".
 */
export function checkNameConstraints(
  cert: CertificateNames,
  nc: NameConstraintsInfo,
  opts: { isLeaf: boolean; caName: string },
): NameConstraintProblem | undefined {
  const all = [...nc.permitted, ...nc.excluded];
  for (const s of all) {
    if (!hasNameOfForm(cert, s.form, opts.isLeaf)) continue;
    if (s.minMax)
      return { opensslCode: 'SUBTREE_MINMAX', what: `${opts.caName} uses minimum/maximum in a subtree` };
    if (s.form !== 'dNSName') {
      return {
        opensslCode: 'UNSUPPORTED_CONSTRAINT_TYPE',
        what: `${opts.caName} constrains ${s.form} names, which are not checked, and the certificate has one`,
      };
    }
  }
  const permitted = nc.permitted.filter((s) => s.form === 'dNSName').map((s) => s.dns ?? '');
  const excluded = nc.excluded.filter((s) => s.form === 'dNSName').map((s) => s.dns ?? '');
  for (const name of dnsNamesOf(cert, opts.isLeaf)) {
    const bad = excluded.find((base) => dnsTouches(name, base));
    if (bad !== undefined) {
      return {
        opensslCode: 'EXCLUDED_VIOLATION',
        what: `name ${printable(name)} is in the excluded subtree ${printable(bad)} of ${opts.caName}`,
      };
    }
    if (permitted.length > 0 && !permitted.some((base) => dnsWithin(name, base))) {
      return {
        opensslCode: 'PERMITTED_VIOLATION',
        what: `name ${printable(name)} is outside the permitted subtrees (${permitted.map(printable).join(', ')}) of ${opts.caName}`,
      };
    }
  }
  return undefined;
}
