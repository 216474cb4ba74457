/**
 * The SP connection header (nanomsg RFC sp-tcp-mapping-01, also used by ipc://): both peers send
 * 8 bytes at once when the connection opens, `00 'S' 'P' 00`, their protocol id (u16 BE) and two
 * reserved zero bytes, then check that the other side speaks the matching protocol.
 */

/** Length of the connection header in bytes. */
export const SP_HEADER_LENGTH = 8;

/** Protocol ids of the SP sockets this module implements (nanomsg `NN_REQ`... / NNG `NNI_PROTO(...)`). */
export const SP_PROTOCOL = {
  req: 0x30,
  rep: 0x31,
  surveyor: 0x62,
  respondent: 0x63,
  /**
   * Not a nanomsg/NNG protocol: a symmetric, multiplexed message pipe (any number of peers, opaque
   * messages both ways, no backtrace). Its id lies outside the ranges nanomsg and NNG assign, so
   * their sockets refuse it cleanly. Nanite's direct mode speaks it (docs/sp.md).
   */
  mux: 0x7e10,
} as const;

/** Name of an SP protocol this module speaks. */
export type SpProtocolName = keyof typeof SP_PROTOCOL;

/** The protocol a socket of each kind accepts as its peer. */
export const SP_PEER: Readonly<Record<SpProtocolName, SpProtocolName>> = {
  req: 'rep',
  rep: 'req',
  surveyor: 'respondent',
  respondent: 'surveyor',
  mux: 'mux',
};


/** Why a received connection header was refused. */
export type SpHeaderFault = 'bad-header' | 'wrong-protocol';

/** The 8 header bytes a socket of protocol `name` sends. */
export function encodeSpHeader(name: SpProtocolName): Buffer {
  const b = Buffer.alloc(SP_HEADER_LENGTH);
  b[1] = 0x53; // 'S'
  b[2] = 0x50; // 'P'
  b.writeUInt16BE(SP_PROTOCOL[name], 4);
  return b;
}

/**
 * Checks the 8 bytes a peer sent against what a socket of protocol `local` accepts. Like NNG, the
 * reserved bytes must be zero. Returns the fault, or undefined when the peer is acceptable.
 */
export function checkSpHeader(header: Buffer, local: SpProtocolName): SpHeaderFault | undefined {
  if (header.length < SP_HEADER_LENGTH) return 'bad-header';
  if (header[0] !== 0 || header[1] !== 0x53 || header[2] !== 0x50 || header[3] !== 0 || header[6] !== 0 || header[7] !== 0) {
    return 'bad-header';
  }
  return header.readUInt16BE(4) === SP_PROTOCOL[SP_PEER[local]] ? undefined : 'wrong-protocol';
}
