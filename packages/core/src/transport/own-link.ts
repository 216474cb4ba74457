/**
 * Nanite's own way into a link, for packets Nanite itself built: a request the mapper's dispatcher
 * made from a validated intake, a successful result the agent's replier made (handed over as its
 * parts, no packet built: the receiving mapper's `MapperSink.onLocalResult`). A transport that hands
 * packets over in-process (memory://'s local calls) may offer these methods and skip re-validating
 * such packets; anything that comes through the public `send()` / `reply()` is still decoded.
 *
 * Why that is sound: the methods are keyed by symbols of this module, which `@nanite/core` does not
 * export (its package `exports` expose only the index and `./testing`), so code outside the package
 * cannot name them; only the dispatcher and the replier call them, with packets whose every
 * protocol field comes from Nanite (ids from the id pool, identities, integer timeouts, hops and
 * trace context checked at intake, a finite status). What the user put in (payload, result) is
 * still checked for what could not cross the wire. Reaching the symbols through reflection
 * (`Object.getOwnPropertySymbols`) is possible, as is patching anything else in-process: that is
 * not an accident the decoder is there to catch.
 */
import type { RequestPacket } from '../protocol/packets';
import type { AgentLink, MapperLink } from './transport';

/** Key of {@link OwnMapperLink}'s request send. */
export const sendOwnRequest: unique symbol = Symbol('nanite.sendOwnRequest');
/** Key of {@link OwnAgentLink}'s result reply. */
export const replyOwnResult: unique symbol = Symbol('nanite.replyOwnResult');

/**
 * Puts `entry` on `link` under `key`, not enumerable: a wrapper built by spreading the link or
 * `Object.assign` does not get it, so its own `send` / `reply` is used. An entry answers only for
 * the link it was made for: called on anything else (a Proxy of the link, an object derived from
 * it) it returns false, and the caller goes through the public method, so a wrapper is never bypassed.
 */
export function offerOwnEntry<L extends MapperLink | AgentLink>(link: L, key: typeof sendOwnRequest | typeof replyOwnResult, entry: (this: unknown, to: string, ...rest: never[]) => boolean | number): void {
  Object.defineProperty(link, key, { value: entry, enumerable: false, writable: false, configurable: false });
}

/** What {@link OwnMapperLink}'s entry returns when it was called on another object than its link: send through `send()`. */
export const NOT_HANDLED = -1;

/**
 * A mapper link that takes the dispatcher's own requests. Offered only by transports for which
 * `SendOptions` other than `now` mean nothing (memory://: no broker, no ttl, no acknowledgements).
 * `now`: the dispatcher's fresh `Date.now()`, the time of receipt of a request handed over
 * synchronously; 0 when the dispatcher did not read the clock (the request was made just now and
 * nothing waited: its deadline starts from whoever first needs it, see local-calls.ts).
 * Returns {@link NOT_HANDLED}, or the time the receiving agent read the clock during a synchronous
 * hand-over (epoch ms: its handler went asynchronous or looked at its deadline), 0 when it did not:
 * the dispatcher starts its own deadline from the same reading.
 */
export interface OwnMapperLink extends MapperLink {
  [sendOwnRequest]?(agent: string, packet: RequestPacket, now: number): number;
}

/**
 * An agent link that takes the replier's own successful results: the parts of the result packet
 * (`from` is the link's agent), so an in-process hand-over builds none.
 */
export interface OwnAgentLink extends AgentLink {
  /** False when not handled (called on another object than its link): reply through `reply()`. Throws `NANITE_ERR_PAYLOAD` for a result that cannot cross the wire. */
  [replyOwnResult]?(mapper: string, id: number, result: unknown, status: number | undefined): boolean;
}
