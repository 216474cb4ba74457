/** NaniteModule's configurable definition (Nest's ConfigurableModuleBuilder conventions). */
import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { NaniteModuleOptions } from './nanite-module.options';

/** Extras accepted by `forRoot()` / `forRootAsync()` next to the options. */
export interface NaniteModuleExtras {
  /** Register the module globally, so every module can inject `MapperService`. Default false. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: NaniteConfigurableModule,
  MODULE_OPTIONS_TOKEN: NANITE_MODULE_OPTIONS,
  OPTIONS_TYPE: NANITE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: NANITE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<NaniteModuleOptions>({ moduleName: 'Nanite' })
  .setClassMethodName('forRoot')
  .setExtras<NaniteModuleExtras>({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal ?? false }))
  .build();

/** What `NaniteModule.forRoot()` takes: the options plus `isGlobal`. */
export type NaniteModuleForRootOptions = typeof NANITE_OPTIONS_TYPE;
/** What `NaniteModule.forRootAsync()` takes: `imports`, `inject`, `useFactory` (or `useClass` / `useExisting`) plus `isGlobal`. */
export type NaniteModuleAsyncOptions = typeof NANITE_ASYNC_OPTIONS_TYPE;
