/** The command table: one entry per sub-command, in the order --help lists them. */
import type { Command } from '../command.ts';

export const COMMANDS: readonly Command[] = [];
