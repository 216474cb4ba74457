/** The HTTP application: a mapper (no actors, so no agent) behind MapperService. */
import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { NaniteModule } from '@nanite/nest';
import { ApiController } from './api.controller';

@Module({})
export class ApiAppModule {
  static forUrl(url: string): DynamicModule {
    return {
      module: ApiAppModule,
      imports: [TerminusModule.forRoot({ logger: false }), NaniteModule.forRoot({ url, isGlobal: true })],
      controllers: [ApiController],
    };
  }
}
