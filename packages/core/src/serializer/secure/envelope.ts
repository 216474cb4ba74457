/**
 * The binary envelope: how a secure outer packet (its clear addressing fields plus the frame's
 * bytes in `sec`) crosses a byte transport without base64 and without a JSON pass over the frame.
 *
 *   0x00 'N' 'E' 0x01 | headLen u32 BE | head: JSON of the packet without `sec` | frame bytes (`sec`)
 *
 * JSON text never starts with a 0x00 byte, so the JSON serializer tells the two forms apart by the
 * first byte. Decoding checks every length and never trusts the head: the secure codec verifies the
 * frame and compares the head's addressing fields with the verified packet.
 */

const MAGIC = [0x00, 0x4e, 0x45, 0x01] as const;
/** Bytes before the head. */
const PREFIX_BYTES = 8;

/** A packet whose `sec` field holds raw bytes (a secure outer packet). */
export type EnvelopePacket = Record<string, unknown> & { sec: Uint8Array };

/** True when `packet` travels as a binary envelope (its `sec` field is bytes). */
export function isEnvelopePacket(packet: object): packet is EnvelopePacket {
  return (packet as { sec?: unknown }).sec instanceof Uint8Array;
}

/** True when `bytes` start like a binary envelope (and so are not JSON). */
export function isEnvelope(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === MAGIC[0];
}

/** The bytes of an envelope packet: one allocation, the frame copied once. */
export function encodeEnvelope(packet: EnvelopePacket): Buffer {
  const { sec, ...head } = packet;
  const text = JSON.stringify(head);
  const n = Buffer.byteLength(text);
  const b = Buffer.allocUnsafe(PREFIX_BYTES + n + sec.length);
  b[0] = MAGIC[0];
  b[1] = MAGIC[1];
  b[2] = MAGIC[2];
  b[3] = MAGIC[3];
  b.writeUInt32BE(n, 4);
  b.write(text, PREFIX_BYTES, n, 'utf8');
  b.set(sec, PREFIX_BYTES + n);
  return b;
}

/** The packet of envelope bytes (`sec` a view of `bytes`, not a copy). Throws on malformed bytes, like any serializer's decode. */
export function decodeEnvelope(bytes: Buffer): EnvelopePacket {
  if (bytes.length < PREFIX_BYTES || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2] || bytes[3] !== MAGIC[3]) throw new Error('not a secure envelope (magic or version)');
  const n = bytes.readUInt32BE(4);
  if (n > bytes.length - PREFIX_BYTES) throw new Error('truncated secure envelope');
  const head: unknown = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + n));
  if (typeof head !== 'object' || head === null || Array.isArray(head)) throw new Error('secure envelope head is not an object');
  const packet = head as EnvelopePacket;
  packet.sec = bytes.subarray(PREFIX_BYTES + n);
  return packet;
}
