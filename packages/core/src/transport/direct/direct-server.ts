/**
 * An agent's SP endpoint: one listening address where Nanite mappers (MUX peers, Nanite packets),
 * REQ peers and SURVEYOR peers (JSON bodies, see json-gateway.ts) all connect; the peer's header
 * decides which. Packets from mappers go to the agent's sink like packets from the control plane;
 * a request's progress and result (a survey's answer) go back on the pipe that request came on —
 * never on a pipe chosen by the mapper identity a peer claims (anyone who can connect could claim
 * another mapper's, and read its results) — and those of requests that came over the control plane
 * go back over it.
 */
import { BurstLog } from '../../internal/burst-log';
import { defaultLogger } from '../../internal/logger';
import type { ReplyPacket, RequestPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import { SpMultiListener, type SpMultiListenerStats } from '../sp/sp-multi-listener';
import { SpMuxSocket, type SpMuxStats } from '../sp/sp-mux.socket';
import type { SpPipeInfo } from '../sp/sp-pipe';
import { SpRepSocket } from '../sp/sp-rep.socket';
import type { SpReplierStats } from '../sp/sp-replier';
import { SpRespondentSocket } from '../sp/sp-respondent.socket';
import type { AgentSink } from '../transport';
import { binaryChunkParts, fromBinaryChunk, pinnedStreamParts } from './direct-chunks';
import { DIRECT_KIND, KIND_BYTES, type DirectTransportOptions } from './direct.options';
import { JSON_REPLY_TO, JsonGateway, namesJsonFace, RESERVED_REASON, type JsonGatewayStats } from './json-gateway';
import { isStreamRequest, StreamPins } from './stream-pins';

/** Requests (and surveys) an endpoint remembers the pipe of at most; past it the oldest one's reply takes the control plane. */
export const MAX_REPLY_PINS = 65_536;

/** Counters of an agent's SP endpoint. */
export interface DirectServerStats {
  listener: SpMultiListenerStats;
  mux: SpMuxStats;
  rep: SpReplierStats;
  respondent: SpReplierStats;
  json: JsonGatewayStats;
  /** Requests from mappers handed back (`bounced`) because the agent was draining. */
  bounced: number;
  /** Messages from mappers that could not be decoded (also reported to the agent's `onMalformed`). */
  malformed: number;
  /** Streams running over a pipe (their replies stay on it). */
  streams: number;
}

const noSettle = (): void => undefined;

/** The SP endpoint of one agent link. */
export class DirectServer {
  /** The pipe each request (and survey) that came over one arrived on, by mapper and id, oldest first. */
  private readonly replyPins = new Map<string, number>();
  /** Stream requests that came over a pipe, by mapper and id: their chunks and result go back on it. */
  private readonly streams = new StreamPins<string, number>();
  private paused = false;
  private bounced = 0;
  private malformed = 0;
  private readonly overflow: BurstLog;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly listener: SpMultiListener,
    private readonly mux: SpMuxSocket,
    private readonly rep: SpRepSocket,
    private readonly respondent: SpRespondentSocket,
    private readonly gateway: JsonGateway,
    private readonly serializer: Serializer,
    private readonly maxMessageSize: number,
    private readonly sink: AgentSink,
    logger: NonNullable<DirectTransportOptions['logger']>,
  ) {
    this.overflow = new BurstLog({ logger, bindings: { endpoint: listener.url }, quietMs: 10_000, message: 'more requests in flight over SP than an endpoint remembers the pipes of; the oldest ones\' results take the control plane' });
    mux.serve((pipe, body) => this.onMessage(pipe, body));
    mux.onPipe((event, pipe) => {
      if (event !== 'down') return;
      for (const [k, id] of this.replyPins) if (id === pipe.id) this.replyPins.delete(k);
      this.streams.unpinPipe(pipe.id);
    });
    for (const socket of [rep, respondent]) {
      socket.onPipe((event, pipe) => {
        if (event === 'down') gateway.pipeDown(pipe);
      });
    }
  }

  /** Binds `url` and serves `sink`; rejects with `NANITE_ERR_TRANSPORT` when the address cannot be bound. */
  static async open(url: string, identity: string, sink: AgentSink, o: { serializer: Serializer; maxMessageSize: number; maxJsonPending: number; logger?: DirectTransportOptions['logger'] }): Promise<DirectServer> {
    const logger = o.logger ?? defaultLogger('nanite-direct');
    const name = `agent ${identity}`;
    const mux = new SpMuxSocket({ maxMessageSize: o.maxMessageSize, logger, name });
    // The sockets' handlers and the gateway need the server, which needs them: resolved through `ref`.
    const ref: { server?: DirectServer } = {};
    const handler = (r: Parameters<JsonGateway['handle']>[0]): void => ref.server?.gateway.handle(r);
    const overflow = (r: Parameters<JsonGateway['overloaded']>[0]): void => ref.server?.gateway.overloaded(r);
    // The JSON face takes (and answers) messages as large as the MUX face does.
    const json = { logger, name, handler, overflow, maxPending: o.maxJsonPending, maxMessageSize: o.maxMessageSize };
    const rep = new SpRepSocket(json);
    const respondent = new SpRespondentSocket(json);
    let listener: SpMultiListener;
    try {
      listener = await SpMultiListener.open(url, [mux, rep, respondent], { logger, name });
    } catch (err) {
      await Promise.all([mux.close(), rep.close(), respondent.close()]);
      throw err;
    }
    const gateway = new JsonGateway({
      deliver: (packet) => sink.onPacket(packet, noSettle),
      abort: (id) => sink.onPacket({ v: 1, type: 'cancel', id, replyTo: JSON_REPLY_TO }, noSettle),
      accepting: () => !(ref.server?.paused ?? true),
    });
    ref.server = new DirectServer(listener, mux, rep, respondent, gateway, o.serializer, o.maxMessageSize, sink, logger);
    return ref.server;
  }

  /** The bound URL (the real port when 0 was asked). */
  get endpoint(): string {
    return this.listener.url;
  }

  /** Counters (a snapshot). */
  stats(): DirectServerStats {
    return { listener: this.listener.stats(), mux: this.mux.stats(), rep: this.rep.stats(), respondent: this.respondent.stats(), json: this.gateway.stats(), bounced: this.bounced, malformed: this.malformed, streams: this.streams.size };
  }

  /**
   * Sends a reply to `mapper` over its pipe. Returns false when it must take the control plane
   * instead (no pipe from that mapper, too large, or the pipe lags). A stream's packets follow its
   * request: over the pipe it came on (never diverted, so they stay in order; credit bounds them),
   * or over the control plane when it came that way. Throws what the serializer throws for a
   * packet it cannot carry, and `NANITE_ERR_BUFFER_FULL` for a stream packet to a pipe whose peer
   * does not read (past `maxWriteBuffer + maxMessageSize` unsent, see SpMuxSocket.send): the
   * agent's stream pump fails the stream with it.
   */
  reply(mapper: string, packet: ReplyPacket): boolean {
    if (mapper === JSON_REPLY_TO) {
      if (packet.type !== 'result' && packet.type !== 'progress') return true; // a JSON peer gets results and progress only
      this.gateway.reply(packet);
      return true;
    }
    const key = streamKey(mapper, packet.id);
    if (packet.type !== 'answer') {
      const pinned = this.streams.get(key);
      if (pinned !== undefined) {
        if (packet.type === 'result') this.streams.unpin(key);
        const parts = (packet.type === 'chunk' ? binaryChunkParts(packet) : undefined) ?? [KIND_BYTES.packet, this.serializer.encode(packet)];
        return this.mux.send(pinned, pinnedStreamParts(parts, this.maxMessageSize, `${packet.type} of a stream`), false);
      }
      // Its request came over the control plane: the rest of the stream stays there.
      if (packet.type === 'chunk' || packet.type === 'credit') return false;
    }
    const pipe = this.replyPins.get(key);
    if (pipe === undefined) return false;
    if (packet.type === 'result' || packet.type === 'answer') this.replyPins.delete(key);
    const bytes = this.serializer.encode(packet);
    if (bytes.length >= this.maxMessageSize) return false;
    return this.mux.send(pipe, [KIND_BYTES.packet, bytes]);
  }

  /** Stops taking requests: those from mappers are bounced (re-sent elsewhere), JSON peers get `NANITE_ERR_SHUTTING_DOWN`. Results still flow. */
  pause(): void {
    this.paused = true;
  }

  /** Closes the listener and every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.paused = true;
      this.gateway.clear();
      // The listener's close resolves once every connection is gone, and the sockets own the
      // connected pipes: stop accepting first, close the pipes, then wait for both.
      const listening = this.listener.close();
      await Promise.all([this.mux.close(), this.rep.close(), this.respondent.close()]);
      await listening;
      this.replyPins.clear();
      this.streams.clear();
    })();
    return this.closing;
  }

  private onMessage(pipe: SpPipeInfo, body: Buffer): void {
    const kind = body.length > 0 ? body[0] : -1;
    if (kind === DIRECT_KIND.chunk) {
      const chunk = fromBinaryChunk(body);
      if (!chunk.ok) return this.reject(chunk.reason);
      this.sink.onPacket(chunk.packet, noSettle);
      return;
    }
    if (kind !== DIRECT_KIND.packet) return this.reject('direct: unknown message kind');
    let packet: unknown;
    try {
      packet = this.serializer.decode(body.subarray(1));
    } catch (err) {
      return this.reject(`direct: undecodable packet (${err instanceof Error ? err.message : String(err)})`);
    }
    if (namesJsonFace(packet)) return this.reject(`direct: ${RESERVED_REASON}`);
    if (typeof packet === 'object' && packet !== null) {
      const p = packet as Partial<RequestPacket> | { type?: unknown; replyTo?: unknown; id?: unknown };
      if (this.paused && (p.type === 'request' || p.type === 'push')) {
        this.bounced++;
        this.mux.send(pipe.id, [KIND_BYTES.bounced, body.subarray(1)]);
        return;
      }
      if (typeof p.replyTo === 'string' && ((p.type === 'request' && typeof p.id === 'number') || (p.type === 'survey' && typeof p.id === 'string'))) {
        const key = streamKey(p.replyTo, p.id);
        // A key stays on the pipe it was first pinned to while that pipe is up (its pins go when it
        // goes down): a peer repeating another mapper's request id cannot move its reply.
        if (isStreamRequest(p)) {
          if (!this.streams.has(key)) this.streams.pin(key, pipe.id);
        } else this.pinReply(key, pipe.id);
      }
    }
    this.sink.onPacket(packet, noSettle);
  }

  /** Remembers the pipe a request came on (a packet that turns out malformed, or a silent survey, is forgotten as the oldest). */
  private pinReply(key: string, pipe: number): void {
    if (this.replyPins.has(key)) return; // re-sent on the same pipe, or claimed by another: it stays where it was
    if (this.replyPins.size >= MAX_REPLY_PINS) {
      const oldest = this.replyPins.keys().next().value;
      if (oldest !== undefined) this.replyPins.delete(oldest);
      this.overflow.record({ pinned: MAX_REPLY_PINS });
    }
    this.replyPins.set(key, pipe);
  }

  private reject(reason: string): void {
    this.malformed++;
    this.sink.onMalformed(reason);
  }
}

/** The key of a request (numeric id) or survey (string id) among those of every mapper. */
function streamKey(mapper: string, id: number | string): string {
  return typeof id === 'string' ? `${mapper}\ns${id}` : `${mapper}\n${id}`;
}
