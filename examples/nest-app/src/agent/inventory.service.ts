/** A plain provider the actors depend on (stands for a database). */
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';

/** Stock levels; closes in onApplicationShutdown, after the agent has drained its in-flight work. */
@Injectable()
export class InventoryService implements OnApplicationShutdown {
  private readonly stock = new Map<string, number>([['apple', 10], ['pear', 3]]);
  private open = true;

  level(item: string): number {
    this.assertOpen();
    return this.stock.get(item) ?? 0;
  }

  take(item: string, count: number): number {
    this.assertOpen();
    const left = this.level(item) - count;
    if (left < 0) throw new Error(`only ${this.level(item)} ${item} left`);
    this.stock.set(item, left);
    return left;
  }

  onApplicationShutdown(): void {
    this.open = false;
  }

  private assertOpen(): void {
    if (!this.open) throw new Error('inventory closed');
  }
}
