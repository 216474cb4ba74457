/** Where a mapper's incoming packets go: decoded, then to the dispatcher (replies) or the heartbeats (agents). */
import type { MalformedCounter } from '../internal/malformed-counter';
import { decodePacket } from '../protocol/decode';
import type { Packet } from '../protocol/packets';
import type { Dispatcher } from './dispatcher';
import type { Heartbeats } from './heartbeats';
import type { VerifiedSender } from '../transport/transport';
import type { Surveys } from './surveys';

/** What a mapper's incoming packets are handed to. */
export interface MapperInbox {
  readonly malformed: MalformedCounter;
  readonly dispatcher: Dispatcher;
  readonly heartbeats: Heartbeats;
  readonly surveys: Surveys;
}

/** Longest certificate subject kept (a subject is the CA's to write, but bounded all the same). */
const MAX_SUBJECT = 1_024;

/** The verified certificate subject, when the transport gave one (secure mode). */
function subjectOf(sender: VerifiedSender | undefined): string | undefined {
  if (typeof sender !== 'object' || sender === null) return undefined;
  const s = sender.subject;
  return typeof s === 'string' && s.length > 0 ? s.slice(0, MAX_SUBJECT) : undefined;
}

/**
 * Decodes one packet from the wire and routes it; a malformed or misdirected one is dropped and
 * counted. `sender` is what a verifying transport proved about who sent it.
 */
export function receive(inbox: MapperInbox, raw: unknown, sender?: VerifiedSender): void {
  const decoded = decodePacket(raw);
  if (!decoded.ok) {
    inbox.malformed.record(decoded.reason);
    return;
  }
  route(inbox, decoded.packet, sender);
}

/**
 * Routes a validated packet (memory://'s fast path hands its replies over directly:
 * transport/memory/local-calls.ts); `sender` as in `receive`.
 */
export function route(inbox: MapperInbox, packet: Packet, sender?: VerifiedSender): void {
  switch (packet.type) {
    case 'result':
      inbox.dispatcher.onResult(packet);
      return;
    case 'progress':
      inbox.dispatcher.onProgress(packet);
      return;
    case 'answer':
      inbox.surveys.onAnswer(packet);
      return;
    case 'chunk':
      inbox.dispatcher.onChunk(packet);
      return;
    case 'credit':
      inbox.dispatcher.onCredit(packet);
      return;
    case 'register':
      inbox.heartbeats.onRegister(packet, Date.now(), subjectOf(sender));
      return;
    case 'ping':
      inbox.heartbeats.onPing(packet, Date.now());
      return;
    case 'unregister':
      inbox.heartbeats.drop(packet.identity, 'unregistered');
      return;
    default:
      inbox.malformed.record(`mapper received a ${packet.type} packet`);
  }
}

