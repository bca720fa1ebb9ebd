/**
 * The error of the scenario catalogue and the simulated Internet built from it: a catalogue that
 * contradicts itself (duplicate ids, a host outside every zone, a TLSA record without a
 * certificate), addresses and ports that cannot be used, or a record a test asks a running
 * Internet to publish that it cannot. Never thrown for anything a client of the simulated
 * Internet does.
 */
import { MtaError } from '../../util/index.ts';

/** Machine codes of scenario and Internet errors. */
export type LabScenarioErrorCode =
  | 'LAB_ERR_SCENARIO'
  | 'LAB_ERR_INTERNET'
  /** A record a running Internet cannot publish (unknown host, bad record text). */
  | 'LAB_ERR_PUBLISH';

/** A bad scenario or an Internet that cannot start. */
export class LabScenarioError extends MtaError<LabScenarioErrorCode> {
  constructor(
    code: LabScenarioErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.name = 'LabScenarioError';
  }
}
