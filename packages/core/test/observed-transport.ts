/** A transport wrapper for mapper tests: records what the mapper sends and lets a test play the transport's callbacks. */
import type { AgentBoundPacket, AgentLink, AgentLinkOptions, AgentSink, MapperLink, MapperSink, SendOptions, Transport } from '../src';

/** Wraps another transport; records each send of the mapper link and exposes the mapper's sink. */
export class ObservedTransport implements Transport {
  isConnected = true;
  /** Options of every send (requests, pushes, cancels and unicast advertises). */
  readonly sends: SendOptions[] = [];
  /** Every packet sent, with its agent (a copy taken at send time). */
  readonly packets: Array<{ agent: string; packet: AgentBoundPacket; options: SendOptions | undefined }> = [];
  /** The mapper's sink: call its callbacks to act as the transport would (returns, lost agents). */
  mapperSink: MapperSink | undefined;
  constructor(private readonly inner: Transport) {}
  get url(): string { return this.inner.url; }
  connect(): Promise<void> { return this.inner.connect(); }
  close(): Promise<void> { return this.inner.close(); }
  openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink> { return this.inner.openAgent(identity, sink, options); }
  async openMapper(id: string, sink: MapperSink): Promise<MapperLink> {
    this.mapperSink = sink;
    const link = await this.inner.openMapper(id, sink);
    return {
      send: (agent, packet, options) => {
        if (options) this.sends.push(options);
        this.packets.push({ agent, packet: { ...packet }, options });
        link.send(agent, packet, options);
      },
      broadcast: (packet) => link.broadcast(packet),
      close: () => link.close(),
    };
  }
  /** Requests and pushes sent so far. */
  requests(): Array<{ agent: string; packet: Extract<AgentBoundPacket, { type: 'request' | 'push' }>; options: SendOptions | undefined }> {
    return this.packets.filter((p): p is { agent: string; packet: Extract<AgentBoundPacket, { type: 'request' | 'push' }>; options: SendOptions | undefined } => p.packet.type === 'request' || p.packet.type === 'push');
  }
  /** The broker came back. */
  reconnected(): void {
    this.isConnected = true;
    this.mapperSink?.onReconnect?.();
  }
}
