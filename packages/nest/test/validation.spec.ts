/**
 * Both validation paths of a Nest actor answer the same way: a route's Standard Schema
 * (`@Expose({ schema })`) and `ValidationPipe` (with `naniteValidationException` for paths) reach
 * the caller as NANITE_ERR_VALIDATION with `issues` (paths) and `messages` in data.
 */
import { NaniteError, type ValidationErrorData } from '@nanite/core';
import { Injectable, UsePipes, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { z } from 'zod';
import { Actor, Expose, MapperService, NaniteModule, Payload, naniteValidationException } from '../src';
import { Closer, MemoryLogger, TestBus } from './helpers';

class LineDto {
  @IsString() sku!: string;
  @IsInt() @Min(1) qty!: number;
}

class OrderDto {
  @ValidateNested({ each: true })
  @Type(() => LineDto)
  lines!: LineDto[];
}

const OrderSchema = z.object({ lines: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1) })) });

@Injectable()
@Actor()
class OrdersActor {
  static readonly prefix = 'orders';
  ran = 0;

  @Expose({ schema: OrderSchema })
  bySchema(@Payload() order: z.output<typeof OrderSchema>): number {
    this.ran++;
    return order.lines.length;
  }

  @Expose()
  @UsePipes(new ValidationPipe({ transform: true, exceptionFactory: naniteValidationException }))
  byPipe(@Payload() order: OrderDto): number {
    this.ran++;
    return order.lines.length;
  }

  @Expose()
  @UsePipes(new ValidationPipe())
  byPlainPipe(@Payload() order: LineDto): string {
    return order.sku;
  }
}

describe('validation in Nest actors', () => {
  const closer = new Closer();
  let bus: TestBus;
  let nanite: MapperService;
  let actor: OrdersActor;

  beforeEach(async () => {
    bus = new TestBus();
    const agentApp = closer.add(await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bus.transport(), mapper: false, logger: new MemoryLogger() })],
      providers: [OrdersActor],
    }).compile());
    await agentApp.init();
    actor = agentApp.get(OrdersActor);
    const callerApp = closer.add(await Test.createTestingModule({ imports: [NaniteModule.forRoot({ transport: bus.transport(), logger: new MemoryLogger() })] }).compile());
    await callerApp.init();
    nanite = callerApp.get(MapperService);
  });

  afterEach(async () => {
    await closer.closeAll();
    await bus.close();
  });

  const bad = { lines: [{ sku: 'a', qty: 1 }, { sku: 2, qty: 0 }] };

  async function failure(route: string, payload: unknown): Promise<ValidationErrorData> {
    const err = await nanite.request(route, payload).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NaniteError);
    expect(err).toMatchObject({ code: 'NANITE_ERR_VALIDATION', retryable: false });
    return (err as NaniteError).data as ValidationErrorData;
  }

  it('a schema and a ValidationPipe with naniteValidationException give the same code and issue paths; the method does not run', async () => {
    const schema = await failure('/orders/bySchema', bad);
    const pipe = await failure('/orders/byPipe', bad);
    const paths = [['lines', 1, 'sku'], ['lines', 1, 'qty']];
    expect(schema.issues.map((i) => i.path)).toEqual(paths);
    expect(pipe.issues.map((i) => i.path)).toEqual(paths);
    expect(pipe.messages).toEqual(pipe.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    expect(schema.messages).toEqual(schema.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    expect(actor.ran).toBe(0);
    await expect(nanite.request('/orders/bySchema', { lines: [{ sku: 'a', qty: 1 }] })).resolves.toBe(1);
    await expect(nanite.request('/orders/byPipe', { lines: [{ sku: 'a', qty: 1 }] })).resolves.toBe(1);
  });

  it('a plain ValidationPipe keeps its messages and carries them as issues too (without paths)', async () => {
    const data = await failure('/orders/byPlainPipe', { sku: 'a', qty: 0 });
    expect(data).toMatchObject({ status: 400, messages: ['qty must not be less than 1'], issues: [{ path: [], message: 'qty must not be less than 1' }] });
  });
});
