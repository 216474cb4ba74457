/**
 * Creates, starts and closes the transport, mapper and hosted agent of one Fastify app, in order,
 * and only what it created.
 */
import { Agent, createTransport, Mapper, NaniteError, SecureTransport, type Logger, type Observer, type Transport } from '@nanite/core';
import { isAgentInstance, isMapperInstance, type NaniteAgentOptions, type NaniteMapperOptions, type NanitePluginOptions } from './nanite.options';

/** Everything the plugin runs, and which parts it owns. */
export class NaniteRuntime {
  readonly mapper: Mapper;
  readonly agent: Agent | undefined;
  private readonly transport: Transport | undefined;
  private readonly owns: { transport: boolean; mapper: boolean; agent: boolean };
  private readonly logger: Logger;
  private agentStopping: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** `observer`: added to the observers of the mapper and agent this runtime creates (the plugin's metrics). */
  constructor(options: NanitePluginOptions, logger: Logger, observer?: Observer) {
    this.logger = logger;
    const mapper = isMapperInstance(options.mapper) ? options.mapper : undefined;
    const agent = isAgentInstance(options.agent) ? options.agent : undefined;
    const mapperOptions = mapper ? undefined : { ...options.mapperOptions, ...(options.mapper as NaniteMapperOptions | undefined) };
    const agentOptions = agent ? undefined : options.agent === undefined && options.agentOptions === undefined ? undefined : { ...options.agentOptions, ...(options.agent as NaniteAgentOptions | undefined) };
    const hosts = !agent && (options.actors !== undefined || agentOptions !== undefined);
    if (options.url !== undefined && options.transport !== undefined) invalid('give either url or transport, not both');
    if (agent && options.actors) invalid('give either agent (an existing one) or actors (for an agent the plugin hosts), not both');
    if (!mapper && options.url === undefined && !options.transport) invalid('give url, transport or mapper');
    if (hosts && options.url === undefined && !options.transport) invalid('a hosted agent (actors or agent options) needs url or transport');
    const needsTransport = !mapper || hosts;
    const plain = options.transport ?? (needsTransport && options.url !== undefined ? createTransport(options.url, { logger: child(logger, { nanite: 'transport' }) }) : undefined);
    // Secure mode wraps the transport once, so the mapper and the hosted agent share one certificate identity.
    this.transport = plain && options.security ? new SecureTransport(plain, options.security, { ownsInner: options.transport === undefined, logger: child(logger, { nanite: 'secure' }) }) : plain;
    this.owns = { transport: options.transport === undefined && this.transport !== undefined, mapper: !mapper, agent: hosts };
    const observers = (given: readonly Observer[] | undefined) => (observer ? { observers: [...(given ?? []), observer] } : {});
    this.mapper = mapper ?? new Mapper({ ...mapperOptions, ...observers(mapperOptions?.observers), transport: this.transport!, logger: child(logger, { nanite: 'mapper' }) });
    this.agent = agent ?? (hosts ? new Agent({ ...agentOptions, ...observers(agentOptions?.observers), actors: options.actors ?? [], transport: this.transport!, logger: child(logger, { nanite: 'agent' }) }) : undefined);
  }

  /** Starts the mapper, then the agent (each only when not running yet); undoes what it started on failure. */
  async start(): Promise<void> {
    try {
      if (!this.mapper.isRunning) await this.mapper.start();
      if (this.agent && !this.agent.isRunning) await this.agent.start();
    } catch (err) {
      await this.close();
      throw err;
    }
    this.logger.info(
      { mapper: this.mapper.identity, agent: this.agent?.identity, routes: this.agent?.routes() },
      this.agent ? 'nanite mapper and agent started' : 'nanite mapper started',
    );
  }

  /**
   * First step of shutdown (Fastify's preClose): the hosted agent stops taking work and starts
   * draining its in-flight handlers, while the HTTP server finishes its in-flight requests.
   */
  beginDrain(): void {
    if (!this.owns.agent || !this.agent || this.agentStopping) return;
    this.agentStopping = this.agent.close();
    // Nobody awaits this promise until onClose (shutdown() awaits it and logs and rethrows its
    // error there): without a handler now, a rejection in between would be an unhandled
    // rejection, which can kill the process mid-shutdown.
    this.agentStopping.catch(() => {});
  }

  /**
   * The rest of shutdown (Fastify's onClose, which runs after the HTTP server has closed): the
   * agent finishes draining and unregisters, the mapper drains what is still pending, then the
   * transport closes. Only what the runtime created is stopped. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
        this.logger.error({ err }, `nanite: ${what} failed during close`);
      }
    };
    this.beginDrain();
    if (this.agentStopping) await step('agent stop', () => this.agentStopping!);
    if (this.owns.mapper) await step('mapper close', () => this.mapper.close());
    if (this.owns.transport) await step('transport close', () => this.transport!.close());
    this.logger.info({ mapper: this.mapper.identity }, 'nanite closed');
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'nanite: several steps failed during close');
  }
}

function invalid(message: string): never {
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `@nanite/fastify: ${message}` });
}

/** A child logger when the logger has `child()` (pino and Fastify's do), else the logger itself. */
function child(logger: Logger, bindings: Record<string, string>): Logger {
  const withChild = logger as Logger & { child?: (b: Record<string, string>) => Logger };
  return typeof withChild.child === 'function' ? withChild.child(bindings) : logger;
}
