/** Turns packets into bytes and back. Only serializers touch bytes. */
export interface Serializer {
  /** A MIME-like name carried as the message content type (e.g. `application/json`). */
  readonly contentType: string;
  /**
   * Throws `NaniteError('NANITE_ERR_PAYLOAD')` for a packet it cannot carry (run
   * `assertWireSafe` first so every serializer and transport fails alike); transports let
   * that error reach the caller of `send()` / `reply()` unchanged.
   */
  encode(packet: object): Buffer;
  /**
   * The same as {@link encode} as UTF-8 text, for a serializer whose form is text, so that a
   * transport can write it straight into its frame (one copy fewer); `undefined` for a packet
   * whose form is binary. Same checks and errors as `encode`.
   */
  encodeText?(packet: object): string | undefined;
  /** Returns the decoded value (validated afterwards by the receiver); throws on undecodable bytes. */
  decode(bytes: Buffer): unknown;
}
