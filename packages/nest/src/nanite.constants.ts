/** Names shared by the decorators, the explorer and the module. */

/** `ExecutionContext.getType()` of a call to an actor method: guards and interceptors can branch on it. */
export const NANITE_CONTEXT_TYPE = 'nanite';

/** The context type of an actor call, for `host.getType<NaniteContextType>()`. */
export type NaniteContextType = typeof NANITE_CONTEXT_TYPE;

/**
 * Parameter kinds of `@Payload()` and `@Ctx()`. The numbers are those of @nestjs/microservices'
 * RPC parameters, so pipes written for message handlers see the same `ArgumentMetadata.type`.
 */
export const NaniteParamtype = {
  PAYLOAD: 3,
  CONTEXT: 6,
} as const;

/** Method-level marker set by `@Expose()` (read by the explorer through MetadataScanner). */
export const NANITE_EXPOSE_MARKER = 'nanite:nest:expose';
