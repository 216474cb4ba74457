/**
 * memory://'s in-process fast path ("local calls").
 *
 * A mapper and an agent attached to the same {@link MemoryBus} live in the same process. When both
 * of their transports allow it (`local`, the default, with `copy: 'reference'`), a request the
 * mapper's dispatcher sends to such an agent is handed to the agent's job runner synchronously, and
 * every reply of that agent to that mapper goes straight back to the mapper's dispatcher: no
 * microtask hop and no bus in between, like Moleculer's local call. Packets sent through the public
 * `MapperLink.send` / `AgentLink.reply` are still validated on receipt (the raw API can send
 * anything); the dispatcher's own requests and the replier's own results come through the
 * unexported entries of ../own-link.ts and are not decoded again (why that is sound: there).
 *
 * What stays the same as over the wire: the mapper picks the agent (selectors see local and other
 * agents alike), tracks the request's deadline and cancellation, and counts it for its observers;
 * the agent bounds its queue (`NANITE_ERR_OVERLOADED`), enforces deadlines, piggybacks its status;
 * payloads and results are still checked for what could not cross the wire (`NANITE_ERR_PAYLOAD`).
 * What differs: the handler starts inside `mapper.request()` (up to its first `await`, as a
 * function call would), instead of on a later microtask. Streams, uploads, pushes, cancels and
 * heartbeats keep the asynchronous path; `memory://name?local=off` turns the fast path off.
 *
 * Time: a request answered during its send (a synchronous handler, or one that throws) reads no
 * clock: no time passes that a deadline could count. Otherwise the clock is read once — when the
 * handler goes asynchronous, or earlier if it first looks at its signal or deadline or calls out —
 * and the agent's deadline and the mapper's both start from that reading (job-runner.ts
 * `acceptLocal`, dispatcher.ts `single`). So on this path a relative `timeout` counts from the end
 * of the handler's synchronous start rather than from `request()`; an absolute `deadline` option,
 * a wire, a wait for an agent or a park read the clock at once as before. Request ids are a counter
 * here (`MapperLink.inProcess`): nothing that could guess them is outside the process.
 */
import { NaniteError } from '../../errors';
import type { AgentBoundPacket, RequestPacket } from '../../protocol/packets';

/** True for what takes the fast path: a plain request (no result stream, no upload). */
export function takesLocalPath(packet: AgentBoundPacket): packet is RequestPacket {
  return packet.type === 'request' && packet.stream === undefined && packet.upload !== true;
}

/** Reads the `local` parameter of a memory:// URL (`on` / `off`; absent: on). */
export function localFromUrl(value: string | null): boolean {
  if (value === null || value === 'on') return true;
  if (value === 'off') return false;
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `memory:// local must be "on" or "off", got "${value}"` });
}
