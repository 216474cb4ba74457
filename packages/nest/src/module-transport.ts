/** Builds the module's transport from its options. */
import { createTransport, SecureTransport, type Transport } from '@nanite/core';
import type { NaniteModuleOptions } from './nanite-module.options';

/**
 * The transport for `options.url`, through core's `createTransport` with the module's
 * `transportFactories` (consulted first), `logger` and `serializer` (used by amqp(s)://).
 */
export function transportFromUrl(options: NaniteModuleOptions & { url: string }): Transport {
  return createTransport(options.url, {
    ...(options.transportFactories ? { factories: options.transportFactories } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.serializer ? { serializer: options.serializer } : {}),
  });
}

/** The module's transport in secure mode when `security` is given (one wrapper, so mapper and agent share one certificate identity). */
export function withModuleSecurity(transport: Transport, options: NaniteModuleOptions, owns: boolean): Transport {
  return options.security ? new SecureTransport(transport, options.security, { ownsInner: owns, ...(options.logger ? { logger: options.logger } : {}) }) : transport;
}
