// Network byte order (big-endian) access to raw memory. WebAssembly is little-endian, so every
// multi-byte field on the wire goes through these. Callers have already checked lengths: these
// helpers never check anything themselves.

@inline export function readU8(ptr: usize): u8 {
  return load<u8>(ptr);
}

@inline export function readU16(ptr: usize): u16 {
  return bswap<u16>(load<u16>(ptr));
}

@inline export function readU32(ptr: usize): u32 {
  return bswap<u32>(load<u32>(ptr));
}

/** A 48-bit hardware address read into the low bits of a u64 (first octet most significant). */
@inline export function readMac(ptr: usize): u64 {
  return (<u64>readU16(ptr) << 32) | <u64>readU32(ptr + 2);
}

@inline export function writeU8(ptr: usize, value: u8): void {
  store<u8>(ptr, value);
}

@inline export function writeU16(ptr: usize, value: u16): void {
  store<u16>(ptr, bswap<u16>(value));
}

@inline export function writeU32(ptr: usize, value: u32): void {
  store<u32>(ptr, bswap<u32>(value));
}

@inline export function writeMac(ptr: usize, mac: u64): void {
  writeU16(ptr, <u16>(mac >> 32));
  writeU32(ptr + 2, <u32>mac);
}

/** The all-ones Ethernet broadcast address. */
export const MAC_BROADCAST: u64 = 0xffff_ffff_ffff;
