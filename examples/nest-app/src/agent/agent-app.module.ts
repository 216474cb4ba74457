/** The agent application: hosts the actors; its own mapper serves their nested calls. */
import { Module, type DynamicModule } from '@nestjs/common';
import { NaniteModule } from '@nanite/nest';
import { CalcActor, InventoryActor } from './inventory.actor';
import { InventoryService } from './inventory.service';

@Module({})
export class AgentAppModule {
  static forUrl(url: string, identity = 'inventory-agent'): DynamicModule {
    return {
      module: AgentAppModule,
      imports: [NaniteModule.forRoot({ url, agent: { identity, tags: ['example'], drainTimeout: 15_000 } })],
      providers: [InventoryService, CalcActor, InventoryActor],
    };
  }
}
