/**
 * `dane-mta lookup-rcpt ADDRESS`: verify a recipient like Halon's smtp_lookup_rcpt — EHLO,
 * STARTTLS per the TLS mode, MAIL FROM:<> (or --from), RCPT TO, QUIT; no DATA. Exit 0 accepted,
 * 69 rejected, 75 deferred.
 */
import { parseMailbox, parsePath } from '../../smtp/protocol/index.ts';
import { describeError } from '../../util/index.ts';
import { stringOpt, UsageError, type Command } from '../command.ts';
import { DELIVERY_OPTIONS, exitCodeOf, liveLog, mtaFromArgs, printResult } from '../delivery-options.ts';
import { DNS_OPTIONS } from '../dns-options.ts';

export const lookupRcptCommand: Command = {
  name: 'lookup-rcpt',
  summary: 'verify a recipient address at its MX (RCPT TO without DATA)',
  usage: 'ADDRESS',
  positionals: { min: 1, max: 1 },
  options: {
    from: {
      type: 'string',
      arg: 'ADDRESS',
      help: 'envelope sender for MAIL FROM (default: the null sender <>)',
    },
    ...DELIVERY_OPTIONS,
    ...DNS_OPTIONS,
  },
  details: [
    'Exit status: 0 accepted, 69 rejected (5xx), 75 deferred (4xx, DNS or DANE failure).',
    '',
    'example:',
    '  dane-mta lookup-rcpt --json postmaster@example.org',
  ].join('\n'),
  async run(args, io) {
    const address = args.positionals[0] as string;
    const from = stringOpt(args, 'from') ?? '';
    try {
      parseMailbox(address);
      parsePath(from, { allowNull: true });
    } catch (e) {
      throw new UsageError(describeError(e));
    }
    const mta = await mtaFromArgs(args, io);
    const onLog = liveLog(args, io);
    const result = await mta.lookupRcpt(address, { from, ...(onLog === undefined ? {} : { onLog }) });
    printResult(result, args, io);
    return exitCodeOf(result);
  },
};
