import type { Serializer } from './serializer';

/** JSON over UTF-8, the default wire format. */
export class JsonSerializer implements Serializer {
  readonly contentType = 'application/json';

  encode(packet: object): Buffer {
    return Buffer.from(JSON.stringify(packet));
  }

  decode(bytes: Buffer): unknown {
    return JSON.parse(bytes.toString('utf8'));
  }
}
