/**
 * The options of an amqp:// transport, checked once merged (URL query, explicit options, defaults):
 * a wrong one is `NANITE_ERR_INVALID_ARGUMENT` naming it, at construction. Unchecked, a heartbeat of
 * "x" made `connect()` resolve and retry in the background forever (amqplib's TypeError read as
 * "broker unreachable"), and a probeInterval of 0 probed every millisecond.
 */
import { checkIntegerOption, invalidOption } from '../../internal/option-checks';
import { MAX_TIMER_DELAY } from '../../internal/timers';
import { parseDelivery, parseNodeOrder, parseQueueType, type AmqpTransportOptions } from './amqp.options';

function invalid(option: string, expected: string, value: unknown): never {
  return invalidOption(option, expected, value, `amqp:// option ${option}`);
}

function integer(option: string, value: unknown, min: number, max: number): void {
  checkIntegerOption(option, value, min, max, `amqp:// option ${option}`);
}

/** Throws for the first option out of its range or of the wrong type. */
export function checkAmqpOptions(o: AmqpTransportOptions): void {
  if (typeof o.prefix !== 'string' || o.prefix === '' || o.prefix.length > 100) invalid('prefix', 'a non-empty string of at most 100 characters', o.prefix);
  integer('heartbeat', o.heartbeat, 0, 65_535);
  integer('connectTimeout', o.connectTimeout, 1, MAX_TIMER_DELAY);
  integer('reconnectMin', o.reconnectMin, 1, MAX_TIMER_DELAY);
  integer('reconnectMax', o.reconnectMax, o.reconnectMin!, MAX_TIMER_DELAY);
  integer('bufferSize', o.bufferSize, 0, Number.MAX_SAFE_INTEGER);
  integer('probeInterval', o.probeInterval, 1, MAX_TIMER_DELAY);
  integer('rejoinTimeout', o.rejoinTimeout, 0, MAX_TIMER_DELAY);
  integer('dedupWindow', o.dedupWindow, 0, MAX_TIMER_DELAY);
  for (const flag of ['failFast', 'batchWrites', 'defaultExchange'] as const) if (typeof o[flag] !== 'boolean') invalid(flag, 'a boolean', o[flag]);
  if (o.delivery !== undefined) parseDelivery(o.delivery);
  if (o.queueType !== undefined) parseQueueType(o.queueType);
  if (o.nodeOrder !== undefined) parseNodeOrder(o.nodeOrder);
  const routes = o.routeDelivery;
  if (routes !== undefined) {
    if (typeof routes !== 'object' || routes === null || Array.isArray(routes)) invalid('routeDelivery', 'an object of route to delivery', routes);
    for (const value of Object.values(routes)) parseDelivery(value);
  }
}
