/**
 * How Agent and Mapper turn their `security` option into a secure transport (kept here so they
 * change by two lines).
 */
import type { Logger } from '../../internal/logger';
import type { Transport } from '../../transport/transport';
import { SecureTransport } from './secure.transport';
import type { SecurityOptions } from './secure.options';

/** `transport` wrapped in secure mode when `security` is given (a transport already secure is kept as is). */
export function withSecurity(transport: Transport, security: SecurityOptions | undefined, ownsTransport: boolean, logger: Logger): Transport {
  if (!security || transport instanceof SecureTransport) return transport;
  return new SecureTransport(transport, security, { ownsInner: ownsTransport, logger });
}

/** The identity an agent or mapper gets by default on `transport`: bound to its certificate in secure mode. */
export function defaultIdentityOn(transport: Transport, kind: 'agent' | 'mapper'): string | undefined {
  return transport instanceof SecureTransport ? transport.defaultIdentity(kind) : undefined;
}
