/**
 * Submission users (RFC 6409 §4.4, RFC 4954): the users file — one `name:hash` a line, `#`
 * comments and blank lines allowed — with scrypt hashes (RFC 7914) in the PHC string form
 * `$scrypt$ln=15,r=8,p=1$SALT$HASH` (base64 without padding), so every line carries its own
 * parameters and salt. `dane-mta passwd NAME` prints such a line.
 * Must never: compare secrets with `===` (timingSafeEqual only); answer an unknown user faster
 * than a known one; accept a malformed line (it is a `file:line` error at start-up).
 */
import { scrypt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describeError, MtaError, type Random } from '../../util/index.ts';

/** Default cost: N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds per check). */
export const DEFAULT_SCRYPT = { ln: 15, r: 8, p: 1 } as const;
/** Bounds on parameters read from a file, so one line cannot exhaust memory or CPU. */
const MAX = { ln: 20, r: 32, p: 16 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/** A users file that cannot be used; `message` is one line `file:line: what`. */
export class UsersFileError extends MtaError<'USERS_ERR_FILE'> {
  constructor(message: string) {
    super('USERS_ERR_FILE', message);
    this.name = 'UsersFileError';
  }
}

interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '');

function derive(password: string, salt: Uint8Array, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      length,
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 },
      (err, key) => {
        if (err === null) resolve(key);
        else reject(err);
      },
    );
  });
}

/** The hash string for `password` (salt from `random`). */
export async function hashPassword(
  password: string,
  opts: { random: Random; params?: ScryptParams },
): Promise<string> {
  const params = opts.params ?? DEFAULT_SCRYPT;
  const salt = opts.random.bytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** Parse a hash string; a one-line reason when it is not one we accept. */
export function parseHash(text: string): StoredHash | string {
  const m =
    /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{16,88})$/.exec(
      text,
    );
  if (m === null)
    return 'not an scrypt hash of the form $scrypt$ln=N,r=N,p=N$SALT$HASH (use dane-mta passwd)';
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (
    params.ln < 10 ||
    params.ln > MAX.ln ||
    params.r < 1 ||
    params.r > MAX.r ||
    params.p < 1 ||
    params.p > MAX.p
  )
    return `scrypt parameters out of range (ln 10–${MAX.ln}, r 1–${MAX.r}, p 1–${MAX.p})`;
  const key = Buffer.from(m[5] ?? '', 'base64');
  if (key.length < 16) return 'scrypt hash too short';
  return { params, salt: Buffer.from(m[4] ?? '', 'base64'), key };
}

/** Verify `password` against a hash string (constant-time comparison of the derived keys). */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const stored = parseHash(hash);
  if (typeof stored === 'string') return false;
  const key = await derive(password, stored.salt, stored.params, stored.key.length);
  return timingSafeEqual(key, stored.key);
}

/** The users of a submission listener. */
export interface Users {
  /** Number of users. */
  readonly size: number;
  /** True when `name` exists and `password` matches; as slow for unknown names. */
  verify(name: string, password: string): Promise<boolean>;
}

/** RFC 4616 authcid as we accept it in a users file: no colon, no white space or controls. */
// eslint-disable-next-line no-control-regex
const NAME = /^[^\s:\u0000-\u001f\u007f]{1,255}$/u;

/** True when `name` can be a user name in a users file. */
export function isValidUserName(name: string): boolean {
  return NAME.test(name);
}

/** Parse users-file text; `file` names it in errors (`file:line: what`). */
export function parseUsers(text: string, file: string): Users {
  const table = new Map<string, StoredHash>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const colon = line.indexOf(':');
    if (colon < 0) throw new UsersFileError(`${where}: expected name:hash`);
    const name = line.slice(0, colon);
    if (!isValidUserName(name)) throw new UsersFileError(`${where}: bad user name`);
    if (table.has(name)) throw new UsersFileError(`${where}: user '${name}' is listed twice`);
    const hash = parseHash(line.slice(colon + 1));
    if (typeof hash === 'string') throw new UsersFileError(`${where}: ${hash}`);
    table.set(name, hash);
  });
  // An unknown name costs one derivation with the default parameters, as a known one does.
  const dummy: StoredHash = {
    params: DEFAULT_SCRYPT,
    salt: Buffer.alloc(SALT_BYTES, 0x5a),
    key: Buffer.alloc(KEY_BYTES, 0),
  };
  return {
    size: table.size,
    async verify(name, password) {
      const known = table.get(name);
      const stored = known ?? dummy;
      const key = await derive(password, stored.salt, stored.params, stored.key.length);
      return timingSafeEqual(key, stored.key) && known !== undefined;
    },
  };
}

/** Read and parse a users file; throws UsersFileError (one line naming the file). */
export function loadUsers(file: string): Users {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsersFileError(`${file}: cannot read the users file (${describeError(e)})`);
  }
  return parseUsers(text, file);
}
