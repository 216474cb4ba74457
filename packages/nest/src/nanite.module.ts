/** NaniteModule: one transport per app, an agent serving its `@Actor()` providers, a mapper behind MapperService. */
import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ActorExplorer } from './actor.explorer';
import { NaniteCallScope } from './call-scope';
import { MapperService } from './mapper.service';
import { NaniteConfigurableModule } from './nanite.module-definition';
import { NaniteHealthIndicator } from './nanite-health.indicator';
import { NaniteRuntime } from './nanite.runtime';

/**
 * ```ts
 * @Module({ imports: [NaniteModule.forRoot({ url: 'amqp://localhost', isGlobal: true })], providers: [CalcActor] })
 * export class AppModule {}
 *
 * NaniteModule.forRootAsync({
 *   imports: [ConfigModule], inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ url: config.getOrThrow('NANITE_URL'), agent: { tags: ['eu'] } }),
 * });
 * ```
 * Exports {@link MapperService}, {@link NaniteHealthIndicator} and {@link NaniteRuntime}.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [NaniteCallScope, ActorExplorer, NaniteRuntime, MapperService, NaniteHealthIndicator],
  exports: [MapperService, NaniteHealthIndicator, NaniteRuntime],
})
export class NaniteModule extends NaniteConfigurableModule {}
