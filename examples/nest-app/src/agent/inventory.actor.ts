/**
 * The example's actors: served by the agent app as /inventory/* and /calc/*. Their method
 * signatures are the contract callers see through `MapperService.typed<Routes>()` (routes.ts).
 */
import { Injectable, Logger, UsePipes, ValidationPipe } from '@nestjs/common';
import type { RequestContext } from '@nanite/core';
import { Actor, Ctx, Expose, MapperService, Payload } from '@nanite/nest';
import { InventoryService } from './inventory.service';
import { OrderDto } from './order.dto';
import type { Routes } from './routes';

@Injectable()
@Actor()
export class CalcActor {
  /** The route prefix, read by @Actor() and by the type system (`RoutesOf`). */
  static readonly prefix = 'calc';

  @Expose({ idempotent: true })
  add(@Payload() [a, b]: [number, number]): number {
    return a + b;
  }
}

@Injectable()
@Actor()
export class InventoryActor {
  static readonly prefix = 'inventory';
  private readonly logger = new Logger('InventoryActor');

  constructor(
    private readonly inventory: InventoryService,
    private readonly nanite: MapperService,
  ) {}

  @Expose({ idempotent: true })
  level(@Payload() { item }: { item: string }, @Ctx() ctx: RequestContext): { item: string; level: number; agent: string } {
    return { item, level: this.inventory.level(item), agent: ctx.agent };
  }

  /** Validates the order, takes the stock, and prices it through another actor (a nested call). */
  @Expose()
  @UsePipes(new ValidationPipe({ transform: true }))
  async order(@Payload() order: OrderDto, @Ctx() ctx: RequestContext): Promise<{ item: string; left: number; total: number; traceId: string }> {
    const left = this.inventory.take(order.item, order.count);
    // Typed nested call: the route, its payload and its result (number) come from CalcActor.add.
    const total = await this.nanite.typed<Routes>().request('/calc/add', [order.count * 2, 1]);
    return { item: order.item, left, total, traceId: ctx.traceId };
  }

  /** Takes `ms` milliseconds (cancellable): try stopping the agent while one runs. */
  @Expose()
  slow(@Payload() { ms }: { ms: number }, @Ctx() ctx: RequestContext): Promise<string> {
    this.logger.log(`slow job ${ctx.requestId} started (${ms} ms)`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(`slept ${ms} ms`), ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      }, { once: true });
    });
  }
}
