/**
 * An in-process bus: the broker of memory:// transports.
 *
 * Delivery is asynchronous (one microtask per packet, FIFO), like a network, so code tested on
 * memory:// sees the same interleavings it will see on RabbitMQ, minus the latency — except the
 * requests and replies between a mapper and an agent that both allow the in-process fast path,
 * handed over synchronously (local-calls.ts).
 */
import { NaniteError } from '../../errors';
import { LastHitMap } from '../../internal/last-hit-map';
import type { AgentBoundPacket, AgentBroadcastPacket, HeartbeatPacket, ReplyPacket, RequestPacket } from '../../protocol/packets';
import type { AgentSink, MapperSink, Settle } from '../transport';
import { takesLocalPath } from './local-calls';
import { MemoryGossipHub } from './memory-gossip';

const noopSettle = (): void => undefined;

/** A sink as the memory transport wraps it: its fast-path hooks also learn whether Nanite built the packet (own-link.ts). */
export interface BusAgentSink extends AgentSink {
  onLocalRequest?(packet: RequestPacket, settle: Settle, receivedAt: number | undefined, own?: boolean): number | void;
}

/** See {@link BusAgentSink}. */
export interface BusMapperSink extends MapperSink {
  onLocalReply?(packet: ReplyPacket, own?: boolean): void;
}

interface AgentEntry {
  sink: BusAgentSink;
  receiving: boolean;
}

/** A named in-process bus shared by every memory:// transport of the same name. */
export class MemoryBus {
  /** Agents and mappers by id; a mapper and its agent exchanging requests in a loop skip both lookups. */
  private readonly agents = new LastHitMap<string, AgentEntry>();
  private readonly mappers = new LastHitMap<string, BusMapperSink>();
  /** Mappers' gossip endpoints (the roster). */
  readonly gossip: MemoryGossipHub;

  constructor(
    readonly name: string,
    private readonly copy: <T>(value: T) => T,
  ) {
    this.gossip = new MemoryGossipHub(copy);
  }

  /** Throws `NANITE_ERR_INVALID_ARGUMENT` when a live agent has the identity (it would be cut off, left running for nobody). */
  attachAgent(identity: string, sink: BusAgentSink): void {
    if (this.agents.get(identity) !== undefined) throw identityTaken('agent', identity, this.name);
    this.agents.set(identity, { sink, receiving: true });
  }

  pauseAgent(identity: string, sink: AgentSink): void {
    const entry = this.agents.get(identity);
    if (entry && entry.sink === sink) entry.receiving = false;
  }

  detachAgent(identity: string, sink: AgentSink): void {
    if (this.agents.get(identity)?.sink === sink) this.agents.delete(identity);
  }

  /** Throws `NANITE_ERR_INVALID_ARGUMENT` when a live mapper has the identity. */
  attachMapper(id: string, sink: BusMapperSink): void {
    if (this.mappers.get(id) !== undefined) throw identityTaken('mapper', id, this.name);
    this.mappers.set(id, sink);
  }

  detachMapper(id: string, sink: MapperSink): void {
    if (this.mappers.get(id) === sink) this.mappers.delete(id);
  }

  get empty(): boolean {
    return this.agents.size === 0 && this.mappers.size === 0 && this.gossip.empty;
  }

  /**
   * `local`: the sender allows the in-process fast path (see local-calls.ts); the agent's sink must
   * offer it too. `own`: the dispatcher built the packet (transport/own-link.ts): not re-validated.
   * `now`: the sender's fresh clock reading, undefined when it read none. Returns the time the
   * agent read the clock during an in-process hand-over, 0 when it did not (or for any other delivery).
   */
  toAgent(from: MapperSink, identity: string, packet: AgentBoundPacket, local = false, now?: number, own = false): number {
    const entry = this.agents.get(identity);
    if (local && entry !== undefined && entry.receiving && entry.sink.onLocalRequest !== undefined && takesLocalPath(packet)) {
      return entry.sink.onLocalRequest(packet, noopSettle, now, own) || 0;
    }
    // What follows a running request (stream packets, a cancel) still reaches a draining agent: its running requests finish, or stop when told.
    const deliverable = entry !== undefined && (entry.receiving || packet.type === 'advertise' || packet.type === 'credit' || packet.type === 'chunk' || packet.type === 'end' || packet.type === 'cancel');
    if (deliverable) {
      const p = this.copy(packet);
      queueMicrotask(() => entry.sink.onPacket(p, noopSettle));
    } else if (packet.type === 'request' || packet.type === 'push') {
      // What RabbitMQ does with a mandatory publish to a missing queue: hand it back to the sender.
      const p: RequestPacket = packet;
      queueMicrotask(() => from.onUndeliverable(p, identity));
    }
    return 0;
  }

  toAllAgents(packet: AgentBroadcastPacket): void {
    for (const entry of this.agents.values()) {
      const p = this.copy(packet);
      queueMicrotask(() => entry.sink.onPacket(p, noopSettle));
    }
  }

  /** `local`: the sending agent allows the in-process fast path; the mapper's sink must offer it too. `own`: the replier built it (not re-validated). */
  toMapper(id: string, packet: ReplyPacket, local = false, own = false): void {
    const sink = this.mappers.get(id);
    // A mapper that went away no longer waits for anything: dropping matches a deleted reply queue.
    if (!sink) return;
    // Every reply of a local agent takes the same way, so a request's progress stays ahead of its result.
    if (local && sink.onLocalReply !== undefined) {
      sink.onLocalReply(packet, own);
      return;
    }
    const p = this.copy(packet);
    queueMicrotask(() => sink.onPacket(p));
  }

  /**
   * An agent's own successful result (transport/own-link.ts), as the parts of its packet: a mapper
   * taking the fast path gets them as they are (`onLocalResult`), no packet built; otherwise the
   * packet is made here and goes like {@link MemoryBus.toMapper}'s (`own`: not re-validated).
   */
  resultToMapper(id: string, from: string, requestId: number, result: unknown, status: number | undefined, local: boolean): void {
    const sink = this.mappers.get(id);
    if (!sink) return;
    if (local && sink.onLocalResult !== undefined) {
      sink.onLocalResult(from, requestId, result, status);
      return;
    }
    // The status goes in the literal (not added later) so every result packet has one shape.
    this.toMapper(id, { v: 1, type: 'result', id: requestId, from, ok: true, result, status }, local, true);
  }

  toAllMappers(packet: HeartbeatPacket): void {
    for (const sink of this.mappers.values()) {
      const p = this.copy(packet);
      queueMicrotask(() => sink.onPacket(p));
    }
  }
}

function identityTaken(kind: 'agent' | 'mapper', identity: string, bus: string): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
    message: `Another ${kind} named ${JSON.stringify(identity.slice(0, 200))} is attached to memory://${bus}: identities must be unique (stop the other first, or leave identity unset for a generated one)`,
    data: { identity, kind },
  });
}
