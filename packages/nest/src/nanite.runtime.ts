/**
 * The module's transport, agent and mapper, and their place in Nest's lifecycle:
 * start on `onApplicationBootstrap`; on shutdown the agent drains in `beforeApplicationShutdown`,
 * the mapper drains and the transport closes in `onApplicationShutdown` (see docs/nest.md).
 */
import { Agent, Mapper, NaniteError, type ActorDefinition, type Logger, type MapperOptions, type PrometheusMetrics, type Transport } from '@nanite/core';
import {
  Inject, Injectable, Logger as NestLogger,
  type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown,
} from '@nestjs/common';
import { ActorExplorer } from './actor.explorer';
import { BackgroundStarter } from './background-starter';
import { transportFromUrl, withModuleSecurity } from './module-transport';
import { NANITE_MODULE_OPTIONS } from './nanite.module-definition';
import { isAgentInstance, isMapperInstance, type NaniteModuleOptions, type NaniteStartupRetry } from './nanite-module.options';
import { checkModuleOptions, readyTimeoutOf } from './nanite-options.check';

/** Where the module is in its life. */
export type NaniteRuntimeState = 'idle' | 'starting' | 'ready' | 'stopping' | 'stopped';

/**
 * Owns the module's transport (when made from `url`), agent and mapper. Inject it for what
 * `MapperService` does not cover (the core `Agent` and `Mapper`, e.g. for `agent.stats` or
 * mapper events).
 */
@Injectable()
export class NaniteRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  /** The transport shared by the app's agent and mapper. */
  readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly nestLogger = new NestLogger('NaniteModule');
  private actors: ActorDefinition[] = [];
  private agentInstance: Agent | undefined;
  private mapperInstance: Mapper | undefined;
  /** An `agent` / `mapper` given as an instance is the app's: started here, never stopped here. */
  private readonly givenAgent: Agent | undefined;
  private readonly givenMapper: Mapper | undefined;
  private actorsAdded = false;
  private starter: BackgroundStarter | undefined;
  private readonly startupRetry: Required<NaniteStartupRetry>;
  private stateValue: NaniteRuntimeState = 'idle';
  /** The error of a start that failed for good (given to later `whenReady()` callers). */
  private startError: { err: unknown } | undefined;
  private readyWaiters = new Set<{ resolve: () => void; reject: (err: unknown) => void }>();
  /** Errors of shutdown steps, thrown once every step has run. */
  private readonly shutdownErrors: unknown[] = [];

  constructor(
    @Inject(NANITE_MODULE_OPTIONS) private readonly options: NaniteModuleOptions,
    private readonly explorer: ActorExplorer,
  ) {
    this.startupRetry = checkModuleOptions(options);
    this.ownsTransport = options.url !== undefined;
    this.givenAgent = isAgentInstance(options.agent) ? options.agent : undefined;
    this.givenMapper = isMapperInstance(options.mapper) ? options.mapper : undefined;
    if (options.startup === 'background') {
      // A core Agent / Mapper starts once: after a failed attempt only a fresh one can try again,
      // and the module cannot build a fresh one of yours.
      for (const [name, Name, given] of [['mapper', 'Mapper', this.givenMapper], ['agent', 'Agent', this.givenAgent]] as const) {
        if (given && !given.isRunning) {
          throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
            message: `startup: 'background' retries a failed start with a fresh ${Name}, and the ${Name} instance given as \`${name}\` can start only once: pass ${name} options instead (the module builds its ${Name}s), start yours before the module (await ${name}.start()), or use startup: 'wait'`,
            data: { option: name },
          });
        }
      }
    }
    this.transport = withModuleSecurity(options.transport ?? transportFromUrl({ ...options, url: options.url! }), options, options.transport === undefined);
  }

  /** The `metrics` adapter of the module options, when given. */
  get metrics(): PrometheusMetrics | undefined {
    return this.options.metrics;
  }

  /** The app's agent, once bootstrapped (undefined when the app runs none). */
  get agent(): Agent | undefined {
    return this.agentInstance;
  }

  /** The app's mapper, once bootstrapped (undefined with `mapper: false`). */
  get mapper(): Mapper | undefined {
    return this.mapperInstance;
  }

  /** Where the module is in its life; `ready` once the agent and mapper have started. */
  get state(): NaniteRuntimeState {
    return this.stateValue;
  }

  /**
   * Whether the transport reports a live connection: `isConnected` of transports that have one
   * (amqp://), `null` for those that cannot tell (memory:// is always there).
   */
  get connected(): boolean | null {
    const flag = (this.transport as { readonly isConnected?: unknown }).isConnected;
    return typeof flag === 'boolean' ? flag : null;
  }

  /** True when the module was configured to run a mapper. */
  get hasMapper(): boolean {
    return this.options.mapper !== false;
  }

  /**
   * Resolves once the agent and mapper have started (`state === 'ready'`); rejects after `timeout`
   * ms (default 10 000; `Infinity`: no timer), with the start error once the start has failed for
   * good, or when the app closes. A `timeout` that is not a number of ms in [0, 2^31 - 1] (nor
   * `Infinity`) rejects with `NANITE_ERR_INVALID_ARGUMENT`. amqp:// starts while its broker is
   * unreachable and reconnects in the background: see {@link connected}.
   */
  whenReady(timeout: number = 10_000): Promise<void> {
    let ms: number | undefined;
    try {
      ms = readyTimeoutOf(timeout);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.stateValue === 'ready') return Promise.resolve();
    if (this.startError) return Promise.reject(this.startError.err);
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') return Promise.reject(shuttingDown());
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      // No timer with Infinity: the waiter is settled by the start, its final failure, or shutdown.
      const timer = ms === undefined ? undefined : setTimeout(() => {
        this.readyWaiters.delete(waiter);
        reject(new NaniteError('NANITE_ERR_NOT_CONNECTED', { message: `Nanite did not connect to ${this.transport.url} within ${ms} ms` }));
      }, ms);
      this.readyWaiters.add(waiter);
    });
  }

  /** Discovers the actors, builds the agent and mapper, and starts them (or starts trying, with `startup: 'background'`). */
  async onApplicationBootstrap(): Promise<void> {
    this.actors = this.explorer.explore().map((a) => a.definition);
    if (this.actors.length > 0 && this.options.agent === false) {
      this.nestLogger.warn(`agent: false, so ${this.actors.length} discovered actor(s) are not served`);
    }
    this.build();
    this.stateValue = 'starting';
    if (this.options.startup === 'background') {
      this.starter = new BackgroundStarter(
        () => this.attempt(),
        (err, retryInMs, attempt) => this.log().warn({ err, transport: this.transport.url, attempt, retryInMs }, 'Nanite could not connect; retrying'),
        this.startupRetry,
      );
      this.starter.start();
      return;
    }
    await this.attempt();
  }

  /**
   * First step of shutdown, after every `onModuleDestroy`: stop retrying a background start, then
   * the agent stops taking work, lets in-flight handlers finish (they may still call other actors
   * through `MapperService`), and unregisters. The HTTP server closes after this hook. A step that
   * fails does not stop the others nor Nest's shutdown: its error is kept and thrown by
   * {@link onApplicationShutdown} once everything is closed (Nest logs it).
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped') return;
    this.stateValue = 'stopping';
    for (const w of this.readyWaiters) w.reject(shuttingDown());
    this.readyWaiters.clear();
    const errors = this.shutdownErrors;
    if (this.starter?.attempting && this.ownsTransport) {
      // An attempt waiting for an unreachable broker ends when its transport closes.
      await settle(errors, () => this.transport.close());
    }
    await settle(errors, () => this.starter?.close());
    if (!this.givenAgent) await settle(errors, () => this.agentInstance?.close());
  }

  /**
   * Last step, after the HTTP server has closed: the mapper drains its pending requests, then the
   * transport (when the module made it from `url`) closes, whatever failed before. Throws the error
   * of a failed step (of this hook or {@link beforeApplicationShutdown}), an `AggregateError` when
   * several failed.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    await this.beforeApplicationShutdown();
    const errors = this.shutdownErrors;
    // settle() never throws: the transport closes whatever the mapper's close did.
    if (!this.givenMapper) await settle(errors, () => this.mapperInstance?.close());
    if (this.ownsTransport) await settle(errors, () => this.transport.close());
    this.stateValue = 'stopped';
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `NaniteModule shutdown: ${errors.length} steps failed`);
  }

  /** Makes the agent and mapper of the next start: fresh ones from options, the app's own instances as they are. */
  private build(): void {
    const logger = this.options.logger;
    const { mapper, agent, metrics } = this.options;
    const observers = (given: MapperOptions['observers']) => (metrics ? { observers: [...(given ?? []), metrics] } : {});
    if (this.givenMapper) this.mapperInstance = this.givenMapper;
    else this.mapperInstance = mapper === false ? undefined : new Mapper({ ...mapper, ...observers((mapper as Exclude<typeof mapper, Mapper> | undefined)?.observers), transport: this.transport, ...(logger ? { logger } : {}) });
    if (this.givenAgent) {
      // Once: a background start rebuilds after each failed attempt.
      if (!this.actorsAdded) for (const actor of this.actors) this.givenAgent.addActor(actor);
      this.actorsAdded = true;
      this.agentInstance = this.givenAgent;
      return;
    }
    const wantsAgent = agent !== false && (agent !== undefined || this.actors.length > 0);
    this.agentInstance = wantsAgent ? new Agent({ ...(agent as Exclude<typeof agent, Agent>), ...observers((agent as Exclude<typeof agent, Agent> | undefined)?.observers), transport: this.transport, actors: this.actors, ...(logger ? { logger } : {}) }) : undefined;
  }

  /**
   * Starts the mapper, then the agent; on failure releases both (a failing release is logged, and
   * does not hide the start error) and prepares fresh ones for the next attempt, or stops for good
   * (state `stopped`, pending `whenReady()` callers get the start error, the owned transport
   * closes): with `startup: 'wait'`, or when an agent / mapper given as an instance is not running
   * (it cannot start again; the background retries end and the error is logged).
   */
  private async attempt(): Promise<void> {
    try {
      if (this.mapperInstance && !this.mapperInstance.isRunning) await this.mapperInstance.start();
      if (this.agentInstance && !this.agentInstance.isRunning) await this.agentInstance.start();
    } catch (err) {
      const cleanup: unknown[] = [];
      if (!this.givenAgent) await settle(cleanup, () => this.agentInstance?.close());
      if (!this.givenMapper) await settle(cleanup, () => this.mapperInstance?.close());
      const background = this.options.startup === 'background';
      const givenDown = (this.givenMapper !== undefined && !this.givenMapper.isRunning) || (this.givenAgent !== undefined && !this.givenAgent.isRunning);
      if (background && !givenDown) {
        if (this.stateValue === 'starting') this.build();
      } else if (!background || this.stateValue === 'starting') {
        this.stateValue = 'stopped';
        this.startError = { err };
        for (const w of this.readyWaiters) w.reject(err);
        this.readyWaiters.clear();
        if (background) {
          void this.starter?.close();
          this.log().error({ err, transport: this.transport.url }, 'Nanite could not start the agent or mapper given to the module, which cannot start again: no more retries');
        }
        if (this.ownsTransport) await settle(cleanup, () => this.transport.close());
      }
      for (const cleanupErr of cleanup) this.log().warn({ err: cleanupErr, startError: err }, 'Nanite could not release what a failed start opened');
      throw err;
    }
    if (this.stateValue !== 'starting') return;
    this.stateValue = 'ready';
    for (const w of this.readyWaiters) w.resolve();
    this.readyWaiters.clear();
  }

  private log(): Logger {
    if (this.options.logger) return this.options.logger;
    const nest = this.nestLogger;
    const line = (obj: object, msg?: string): string => `${msg ?? ''} ${JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`;
    return {
      debug: (obj, msg) => nest.debug(line(obj, msg)),
      info: (obj, msg) => nest.log(line(obj, msg)),
      warn: (obj, msg) => nest.warn(line(obj, msg)),
      error: (obj, msg) => nest.error(line(obj, msg)),
    };
  }
}

function shuttingDown(): NaniteError {
  return new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: 'The Nest application is shutting down' });
}

/** Runs one cleanup step; its error goes to `errors` instead of stopping the steps after it. */
async function settle(errors: unknown[], step: () => Promise<void> | undefined): Promise<void> {
  try {
    await step();
  } catch (err) {
    errors.push(err);
  }
}
