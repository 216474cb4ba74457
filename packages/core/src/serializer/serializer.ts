/** Turns packets into bytes and back. Only serializers touch bytes. */
export interface Serializer {
  /** A MIME-like name carried as the message content type (e.g. `application/json`). */
  readonly contentType: string;
  encode(packet: object): Buffer;
  /** Returns the decoded value (validated afterwards by the receiver); throws on undecodable bytes. */
  decode(bytes: Buffer): unknown;
}
