/** Where a mapper's incoming packets go: decoded, then to the dispatcher (replies) or the heartbeats (agents). */
import type { MalformedCounter } from '../internal/malformed-counter';
import { decodePacket } from '../protocol/decode';
import type { Packet } from '../protocol/packets';
import type { Dispatcher } from './dispatcher';
import type { Heartbeats } from './heartbeats';
import type { Surveys } from './surveys';

/** What a mapper's incoming packets are handed to. */
export interface MapperInbox {
  readonly malformed: MalformedCounter;
  readonly dispatcher: Dispatcher;
  readonly heartbeats: Heartbeats;
  readonly surveys: Surveys;
}

/** Decodes one packet from the wire and routes it; a malformed or misdirected one is dropped and counted. */
export function receive(inbox: MapperInbox, raw: unknown): void {
  const decoded = decodePacket(raw);
  if (!decoded.ok) {
    inbox.malformed.record(decoded.reason);
    return;
  }
  route(inbox, decoded.packet);
}

/** Routes a validated packet (memory://'s fast path hands those over directly: transport/memory/local-calls.ts). */
export function route(inbox: MapperInbox, packet: Packet): void {
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
      inbox.heartbeats.onRegister(packet, Date.now());
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

