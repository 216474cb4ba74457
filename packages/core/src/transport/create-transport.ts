import { NaniteError } from '../errors';
import type { Transport } from './transport';
import { MemoryTransport } from './memory/memory.transport';
// Loads no amqplib: the amqp:// transport imports it on its first connect().
import { AmqpTransport } from './amqp/amqp.transport';
import { amqpOptionsFromUrl } from './amqp/amqp.options';
import { parseTransportUrl } from './redact-url';
import type { Logger } from '../internal/logger';
import type { Serializer } from '../serializer/serializer';

/** Builds a transport from a URL for a given scheme. */
export type TransportFactory = (url: URL) => Transport;

/** Options of {@link createTransport}. */
export interface CreateTransportOptions {
  /** Extra schemes (e.g. `{ 'nats:': url => new MyTransport(url) }`), consulted before the built-in ones. */
  factories?: Record<string, TransportFactory>;
  /** Logger of byte transports (connection state, reconnects). */
  logger?: Logger;
  /** Wire format of byte transports (default JSON). */
  serializer?: Serializer;
}

/**
 * Builds a transport from a URL: `memory://name` or `amqp(s)://user:pass@host:port/vhost`.
 * Throws `NANITE_ERR_UNSUPPORTED_TRANSPORT` for other schemes, `NANITE_ERR_INVALID_ARGUMENT` for a malformed URL.
 */
export function createTransport(url: string, options: CreateTransportOptions = {}): Transport {
  const parsed = parseTransportUrl(url);
  const custom = options.factories?.[parsed.protocol];
  if (custom) return custom(parsed);
  switch (parsed.protocol) {
    case 'memory:':
      return MemoryTransport.fromUrl(parsed);
    case 'amqp:':
    case 'amqps:':
      return new AmqpTransport(amqpOptionsFromUrl(parsed, {
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.serializer ? { serializer: options.serializer } : {}),
      }));
    default:
      throw new NaniteError('NANITE_ERR_UNSUPPORTED_TRANSPORT', {
        message: `No transport for "${parsed.protocol}//" (supported: memory://, amqp://, amqps://)`,
        data: { url: `${parsed.protocol}//${parsed.host}` },
      });
  }
}
