/**
 * Public surface of smtp/server: SMTP intake on smtp-server (relay and submission listeners,
 * RFC 5321, RFC 6409) with its diagnostics_channel events, and the submission users file
 * (scrypt hashes).
 */
export { startIntake, IntakeError, type BoundListener, type Intake, type IntakeOptions } from './intake.ts';
export {
  IntakeChannel,
  type IntakeAccepted,
  type IntakeEvent,
  type IntakeRejected,
  type IntakeSessionFacts,
} from './channels.ts';
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
