import { utf8Bytes } from '../internal/utf8';
import { assertWireSafe, DEFAULT_WIRE_LIMITS, payloadError, type WireLimits } from '../protocol/wire-safety';
import type { Serializer } from './serializer';
import { decodeEnvelope, encodeEnvelope, isEnvelope, isEnvelopePacket } from './secure/envelope';

/** Options of {@link JsonSerializer}. */
export interface JsonSerializerOptions {
  /** Bounds of what may be encoded; defaults: {@link DEFAULT_WIRE_LIMITS}. Keep `maxBytes` at or below the broker's `max_message_size`. */
  limits?: Partial<WireLimits>;
}

/**
 * JSON over UTF-8, the default wire format.
 *
 * `encode` throws `NaniteError('NANITE_ERR_PAYLOAD')` for what JSON cannot carry faithfully (a
 * BigInt, a cycle, a function or symbol inside, too deep, too large): the same check and the same
 * error as memory://, so a value fails alike on every transport and never as a transport error.
 *
 * Secure mode's outer packets (their frame as raw bytes in `sec`) travel as a binary envelope
 * instead (secure/envelope.ts): no base64, no JSON pass over the encrypted bytes. `decode` tells
 * the two forms apart by the first byte.
 */
export class JsonSerializer implements Serializer {
  readonly contentType = 'application/json';
  private readonly limits: WireLimits;

  constructor(options: JsonSerializerOptions = {}) {
    this.limits = { ...DEFAULT_WIRE_LIMITS, ...options.limits };
  }

  encode(packet: object): Buffer {
    if (isEnvelopePacket(packet)) {
      // The frame was checked and sized by the secure codec; the head holds addressing fields only.
      const bytes = encodeEnvelope(packet);
      if (bytes.length > this.limits.maxBytes) throw payloadError('packet', `too large (${bytes.length} bytes, over ${this.limits.maxBytes})`);
      return bytes;
    }
    const bytes = utf8Bytes(this.text(packet));
    if (bytes.length > this.limits.maxBytes) throw payloadError('packet', `too large (${bytes.length} bytes, over ${this.limits.maxBytes})`);
    return bytes;
  }

  encodeText(packet: object): string | undefined {
    if (isEnvelopePacket(packet)) return undefined;
    const text = this.text(packet);
    const max = this.limits.maxBytes;
    // UTF-8 takes 1 to 3 bytes per UTF-16 unit: count the bytes only when the length alone cannot tell.
    if (text.length > max || (text.length * 3 > max && Buffer.byteLength(text) > max)) {
      throw payloadError('packet', `too large (${Buffer.byteLength(text)} bytes, over ${max})`);
    }
    return text;
  }

  private text(packet: object): string {
    assertWireSafe(packet, this.limits);
    let text: string;
    try {
      text = JSON.stringify(packet);
    } catch (err) {
      // The check above covers the known causes; anything else (a getter with side effects...) is still the value's fault.
      throw payloadError('packet', err instanceof Error ? err.message : 'JSON.stringify threw');
    }
    return text;
  }

  decode(bytes: Buffer): unknown {
    if (isEnvelope(bytes)) return decodeEnvelope(bytes);
    return JSON.parse(bytes.toString('utf8'));
  }
}
