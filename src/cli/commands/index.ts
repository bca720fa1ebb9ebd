/** The command table: one entry per sub-command, in the order --help lists them. */
import type { Command } from '../command.ts';
import { checkCommand } from './check.ts';
import { demoCommand } from './demo.ts';
import { labCommand } from './lab.ts';
import { lookupRcptCommand } from './lookup-rcpt.ts';
import { passwdCommand } from './passwd.ts';
import { queueCommand } from './queue.ts';
import { resolveCommand } from './resolve.ts';
import { sendCommand } from './send.ts';
import { serveCommand } from './serve.ts';
import { tlsaCommand } from './tlsa.ts';
import { webCommand } from './web.ts';

export const COMMANDS: readonly Command[] = [
  resolveCommand,
  sendCommand,
  lookupRcptCommand,
  serveCommand,
  queueCommand,
  tlsaCommand,
  checkCommand,
  webCommand,
  labCommand,
  demoCommand,
  passwdCommand,
];
