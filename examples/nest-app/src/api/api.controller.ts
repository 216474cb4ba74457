/** The HTTP API: every route calls actors through MapperService, typed by the agent app's route map. */
import { Body, Controller, Get, Param, Post, Query, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { MapperService, NaniteHealthIndicator, NaniteHttpExceptionFilter, type TypedMapperService } from '@nanite/nest';
import type { OrderDto } from '../agent/order.dto';
import type { Routes } from '../agent/routes';

@Controller()
@UseFilters(NaniteHttpExceptionFilter)
export class ApiController {
  /** The same MapperService, typed: routes complete in the editor, payloads and results are checked. */
  private readonly nanite: TypedMapperService<Routes>;

  constructor(
    mapper: MapperService,
    private readonly health: HealthCheckService,
    private readonly naniteHealth: NaniteHealthIndicator,
  ) {
    this.nanite = mapper.typed<Routes>();
  }

  @Get('calc/add')
  async add(@Query('a') a: string, @Query('b') b: string): Promise<{ sum: number; agent: string }> {
    const { result, agent } = await this.nanite.call('/calc/add', [Number(a), Number(b)], { timeout: 5_000 });
    return { sum: result, agent };
  }

  @Get('stock/:item')
  stock(@Param('item') item: string): Promise<{ item: string; level: number; agent: string }> {
    return this.nanite.request('/inventory/level', { item }, { timeout: 5_000 });
  }

  /** The agent validates the body (ValidationPipe): a bad one answers 400 with the validation messages. */
  @Post('orders')
  order(@Body() body: OrderDto): Promise<{ item: string; left: number; total: number; traceId: string }> {
    return this.nanite.request('/inventory/order', body, { timeout: 5_000 });
  }

  @Get('slow')
  async slow(@Query('ms') ms = '2000'): Promise<{ result: string }> {
    return { result: await this.nanite.request('/inventory/slow', { ms: Number(ms) }, { timeout: 30_000 }) };
  }

  @Get('agents')
  agents(): ReturnType<MapperService['agents']> {
    return this.nanite.agents();
  }

  @Get('health')
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.naniteHealth.check('nanite', { minAgents: 1 })]);
  }
}
