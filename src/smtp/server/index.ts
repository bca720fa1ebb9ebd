/**
 * Public surface of smtp/server: SMTP intake on smtp-server (relay and submission listeners,
 * RFC 5321, RFC 6409) and the submission users file (scrypt hashes).
 */
export {
  DEFAULT_SCRYPT,
  hashPassword,
  isValidUserName,
  loadUsers,
  parseHash,
  parseUsers,
  UsersFileError,
  verifyPassword,
  type ScryptParams,
  type Users,
} from './users.ts';
