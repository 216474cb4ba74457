/** An agent's link in direct mode: the control-plane link plus the agent's SP endpoint. */
import type { HeartbeatPacket, ReplyPacket } from '../../protocol/packets';
import type { AgentLink } from '../transport';
import type { DirectServer, DirectServerStats } from './direct-server';

/**
 * Heartbeats take the control plane (a Register carries the endpoint's URL); results go back over
 * the SP pipe of the mapper that asked when there is one, otherwise over the control plane; a
 * stream's chunks and credit take the path its request came on (see direct-server.ts).
 */
export class DirectAgentLink implements AgentLink {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly inner: AgentLink,
    private readonly server: DirectServer,
  ) {}

  /** The URL the agent serves requests on (the real port when 0 was asked). */
  get endpoint(): string {
    return this.server.endpoint;
  }

  /** Counters of the SP endpoint. */
  endpointStats(): DirectServerStats {
    return this.server.stats();
  }

  broadcast(packet: HeartbeatPacket): void {
    this.inner.broadcast(packet.type === 'register' ? { ...packet, endpoint: this.server.endpoint } : packet);
  }

  reply(mapper: string, packet: ReplyPacket): void {
    if (!this.server.reply(mapper, packet)) this.inner.reply(mapper, packet);
  }

  addRoutes(routes: readonly string[]): Promise<void> {
    return this.inner.addRoutes?.(routes) ?? Promise.resolve();
  }

  pause(): Promise<void> {
    this.server.pause();
    return this.inner.pause();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.server.close();
      await this.inner.close();
    })();
    return this.closing;
  }
}
