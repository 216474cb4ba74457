/**
 * A bounded label for why a packet was dropped: reasons are free text (some quote what arrived),
 * kinds are a fixed set, so a metric labelled by kind cannot grow with what a peer sends.
 */

/** Every packet type of the protocol (decode.ts): a reason `<type>: …` is an invalid packet of that type. */
const PACKET_TYPES = new Set<string>(['register', 'ping', 'unregister', 'advertise', 'cancel', 'request', 'push', 'result', 'progress', 'chunk', 'credit', 'end', 'survey', 'answer'] satisfies PacketTypeName[]);

type PacketTypeName = 'register' | 'ping' | 'unregister' | 'advertise' | 'cancel' | 'request' | 'push' | 'result' | 'progress' | 'chunk' | 'credit' | 'end' | 'survey' | 'answer';

/** The kinds {@link malformedKind} returns. */
export type MalformedKind =
  | 'undecodable' | 'not-object' | 'version' | 'unknown-type' | 'misrouted' | 'forged' | 'duplicate' | 'other'
  | `invalid-${PacketTypeName}`;

/** Classifies a drop reason (as given to `onMalformed` or by `decodePacket`). */
export function malformedKind(reason: string): MalformedKind {
  const colon = reason.indexOf(': ');
  if (colon > 0) {
    const head = reason.slice(0, colon);
    if (PACKET_TYPES.has(head)) return `invalid-${head}` as MalformedKind;
  }
  if (reason.startsWith('packet must be an object')) return 'not-object';
  if (reason.startsWith('unsupported protocol version')) return 'version';
  if (reason.startsWith('unknown packet type')) return 'unknown-type';
  if (/^(agent|mapper) received a /.test(reason)) return 'misrouted';
  if (reason.includes('forged')) return 'forged';
  if (reason.includes('another copy')) return 'duplicate';
  if (/undecodable|deserializ|JSON|bytes|frame/i.test(reason)) return 'undecodable';
  return 'other';
}
