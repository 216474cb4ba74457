/** Builds the module's transport from its options. */
import { AmqpTransport, createTransport, NaniteError, type Transport } from '@nanite/core';
import type { NaniteModuleOptions } from './nanite-module.options';

/**
 * The transport for `options.url`: amqp(s):// gets the module's `logger` and `serializer`; other
 * schemes go through core's `createTransport` (with `transportFactories`).
 */
export function transportFromUrl(options: NaniteModuleOptions & { url: string }): Transport {
  let protocol: string;
  try {
    protocol = new URL(options.url).protocol;
  } catch (cause) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"${options.url}" is not a valid transport URL`, cause });
  }
  const custom = options.transportFactories?.[protocol];
  if (!custom && (protocol === 'amqp:' || protocol === 'amqps:')) {
    return new AmqpTransport({
      url: options.url,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.serializer ? { serializer: options.serializer } : {}),
    });
  }
  return createTransport(options.url, { ...(options.transportFactories ? { factories: options.transportFactories } : {}) });
}
