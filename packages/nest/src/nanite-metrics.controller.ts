/** `GET /metrics`: the Prometheus exposition of the module's `metrics` option, for apps that list this controller. */
import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { NaniteRuntime } from './nanite.runtime';

/**
 * Add to your module's `controllers` (next to `NaniteModule.forRoot({ metrics })`) to serve
 * `GET /metrics`. Answers 404 when the module has no `metrics`.
 */
@Controller()
export class NaniteMetricsController {
  constructor(private readonly runtime: NaniteRuntime) {}

  @Get('metrics')
  // prom-client's exposition format (Registry.PROMETHEUS_CONTENT_TYPE).
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    const metrics = this.runtime.metrics;
    if (!metrics) throw new NotFoundException('NaniteModule has no metrics option');
    return metrics.metrics();
  }
}
