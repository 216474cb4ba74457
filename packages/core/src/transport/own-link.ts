/**
 * Nanite's own way into a link, for packets Nanite itself built: a request the mapper's dispatcher
 * made from a validated intake, a successful result the agent's replier made. A transport that hands
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
import type { RequestPacket, ResultPacket } from '../protocol/packets';
import type { AgentLink, MapperLink } from './transport';

/** Key of {@link OwnMapperLink}'s request send. */
export const sendOwnRequest: unique symbol = Symbol('nanite.sendOwnRequest');
/** Key of {@link OwnAgentLink}'s result reply. */
export const replyOwnResult: unique symbol = Symbol('nanite.replyOwnResult');

/**
 * A mapper link that takes the dispatcher's own requests. Offered only by transports for which
 * `SendOptions` other than `now` mean nothing (memory://: no broker, no ttl, no acknowledgements).
 * `now`: the dispatcher's fresh `Date.now()`, the time of receipt of a request handed over synchronously.
 */
export interface OwnMapperLink extends MapperLink {
  [sendOwnRequest]?(agent: string, packet: RequestPacket, now: number): void;
}

/** An agent link that takes the replier's own successful results. */
export interface OwnAgentLink extends AgentLink {
  [replyOwnResult]?(mapper: string, packet: ResultPacket): void;
}
