import { ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  JidoSignalModuleExtras,
  JidoSignalModuleOptions,
} from './jido-signal-options.interface.js';

/** @internal */
export const {
  ConfigurableModuleClass: JidoSignalConfigurableModule,
  MODULE_OPTIONS_TOKEN: JIDO_SIGNAL_MODULE_OPTIONS,
  OPTIONS_TYPE: JIDO_SIGNAL_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: JIDO_SIGNAL_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<JidoSignalModuleOptions>({ moduleName: 'JidoSignal' })
  .setClassMethodName('forRoot')
  .setExtras<JidoSignalModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? true,
  }))
  .build();

/** Options of `JidoSignalModule.forRoot` (module options plus `isGlobal`). */
export type JidoSignalModuleRootOptions = typeof JIDO_SIGNAL_OPTIONS_TYPE;
/** Options of `JidoSignalModule.forRootAsync` (`imports`, `inject`, `useFactory` / `useClass` / `useExisting`, `isGlobal`, `busNames`). */
export type JidoSignalModuleAsyncOptions = typeof JIDO_SIGNAL_ASYNC_OPTIONS_TYPE;
