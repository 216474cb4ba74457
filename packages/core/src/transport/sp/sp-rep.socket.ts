/** REP (protocol 0x31): answers REQ peers. */
import { SpReplier, type SpReplierOptions } from './sp-replier';

/**
 * A REP socket: each request from a REQ peer goes to the handler; its reply goes back behind the
 * request's backtrace. Concurrent requests per pipe, replies in any order.
 *
 * ```ts
 * const rep = new SpRepSocket({ handler: (req) => req.body });   // echo
 * const { url } = await rep.listen('tcp://127.0.0.1:0');
 * ```
 */
export class SpRepSocket extends SpReplier {
  constructor(options: SpReplierOptions = {}) {
    super('rep', options);
  }
}
