/** Where the example connects: NANITE_URL, else the default of the entry point. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672/?prefix=nest-example';

/** The transport URL from the environment, or `fallback`. */
export function naniteUrl(fallback: string): string {
  return process.env.NANITE_URL ?? fallback;
}

/** The HTTP port (PORT, default 3000; 0 picks a free one). */
export function httpPort(): number {
  return Number(process.env.PORT ?? 3000);
}
