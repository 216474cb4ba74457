/** RESPONDENT (protocol 0x63): answers SURVEYOR peers. */
import { SpReplier, type SpReplierOptions } from './sp-replier';

/**
 * A RESPONDENT socket: each survey from a SURVEYOR peer goes to the handler; its answer goes back
 * behind the survey's backtrace (an answer after the surveyor's deadline is dropped by the surveyor).
 *
 * ```ts
 * const respondent = new SpRespondentSocket({ handler: () => Buffer.from('svc-a|tcp://10.0.0.5:9000') });
 * respondent.dial('tcp://discovery:5555');
 * ```
 */
export class SpRespondentSocket extends SpReplier {
  constructor(options: SpReplierOptions = {}) {
    super('respondent', options);
  }
}
