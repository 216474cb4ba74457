/** Options of `Mapper.waitForAgents()` (and of the same method on the Nest and Fastify facades). */
export interface WaitForAgentsOptions {
  /** Count only agents serving this route (default: any agent). */
  route?: string;
  /** How many live agents to wait for (default 1). */
  count?: number;
  /** Give up after this many ms with `NANITE_ERR_TIMEOUT`. */
  timeout?: number;
}
