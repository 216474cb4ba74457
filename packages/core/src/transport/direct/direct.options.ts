/** Options of the direct data path (SP beside a control-plane transport) and their defaults. */
import type { Logger } from '../../internal/logger';
import type { Serializer } from '../../serializer/serializer';

/** Options of {@link DirectTransport}. */
export interface DirectTransportOptions {
  /**
   * Agents opened on this transport serve requests on an SP endpoint at this URL
   * (`tcp://host:port`, port 0 for an ephemeral port, or `ipc:///path`) and advertise the bound URL
   * in their Register. Each agent link binds its own listener, so give port 0 (or distinct paths)
   * when several agents share the transport.
   */
  listen?: string;
  /** Mappers opened on this transport send requests straight to agents that advertise an endpoint (falling back to the control plane). */
  direct?: boolean;
  /** Wire format of Nanite packets on the direct path. Default JSON. */
  serializer?: Serializer;
  /**
   * Largest message (bytes) sent or accepted on the direct path, by MUX peers (mappers) and by
   * REQ/SURVEYOR JSON peers alike; larger packets take the control plane, a larger JSON result is
   * answered `NANITE_ERR_PAYLOAD`. JSON peers should accept messages this large. Default 16 MiB.
   */
  maxMessageSize?: number;
  /** SP requests (REQ/SURVEYOR JSON peers) an agent runs at once; more are answered `NANITE_ERR_OVERLOADED` at once (not run). Default 10 000. */
  maxJsonPending?: number;
  /** Where SP faults are logged (one line per burst). */
  logger?: Logger;
  /** Close the control-plane transport when this one closes. Default false. */
  ownsInner?: boolean;
}

/** Defaults of {@link DirectTransportOptions}. */
export const DEFAULT_DIRECT_OPTIONS = {
  maxMessageSize: 16 * 1024 * 1024,
  maxJsonPending: 10_000,
} as const;

/** Message kinds on a direct (MUX) pipe: the first byte of every message. */
export const DIRECT_KIND = {
  /** A Nanite packet, both ways. */
  packet: 0x01,
  /** Agent → mapper: a request or push the agent did not take (it is draining): never run, re-send it elsewhere. */
  bounced: 0x02,
  /** A stream chunk of bytes, both ways (see direct-chunks.ts). */
  chunk: 0x03,
} as const;

/** One-byte prefixes, allocated once. */
export const KIND_BYTES = {
  packet: Buffer.from([DIRECT_KIND.packet]),
  bounced: Buffer.from([DIRECT_KIND.bounced]),
} as const;
