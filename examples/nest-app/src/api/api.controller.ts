/** The HTTP API: every route calls actors through MapperService. */
import { Body, Controller, Get, Param, Post, Query, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { MapperService, NaniteHealthIndicator, NaniteHttpExceptionFilter } from '@nanite/nest';

@Controller()
@UseFilters(NaniteHttpExceptionFilter)
export class ApiController {
  constructor(
    private readonly nanite: MapperService,
    private readonly health: HealthCheckService,
    private readonly naniteHealth: NaniteHealthIndicator,
  ) {}

  @Get('calc/add')
  async add(@Query('a') a: string, @Query('b') b: string): Promise<{ sum: number; agent: string }> {
    const { result, agent } = await this.nanite.call<number>('/calc/add', [Number(a), Number(b)], { timeout: 5_000 });
    return { sum: result, agent };
  }

  @Get('stock/:item')
  stock(@Param('item') item: string): Promise<unknown> {
    return this.nanite.request('/inventory/level', { item }, { timeout: 5_000 });
  }

  /** Errors come back structured: a bad body answers 400 with the validation messages. */
  @Post('orders')
  order(@Body() body: unknown): Promise<unknown> {
    return this.nanite.request('/inventory/order', body, { timeout: 5_000 });
  }

  @Get('slow')
  async slow(@Query('ms') ms = '2000'): Promise<{ result: string }> {
    return { result: await this.nanite.request<string>('/inventory/slow', { ms: Number(ms) }, { timeout: 30_000 }) };
  }

  @Get('agents')
  agents(): unknown {
    return this.nanite.agents();
  }

  @Get('health')
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.naniteHealth.check('nanite', { minAgents: 1 })]);
  }
}
