// Every export of the core module with its signature: the one place where the host names raw
// exports. Pointers are byte offsets into the module's memory (i32 in JS); 64-bit values (time in
// microseconds) cross as bigint.

export interface CoreExports {
  readonly memory: WebAssembly.Memory;

  /** Current top of the core's heap (bytes). Never moves after init. */
  heapTop(): number;
  /** Current memory size in 64 KiB pages. Never changes after init. */
  memoryPages(): number;

  /**
   * Wire-format checks for fuzzing and diagnostics: parses `len` bytes at `ptr` as `format`
   * (a WireFormat value) and returns 0 or a negative WireError. `flags` bit 0: verify checksums.
   */
  wireCheck(format: number, ptr: number, len: number, flags: number): number;
  /** An address where `len` bytes end exactly at the end of memory (fuzz inputs go there). */
  wireInputAt(len: number): number;
}

/** Formats `wireCheck` understands (must match assembly/abi/wire_check.ts). */
export const WireFormat = {
  Ethernet: 0,
  Arp: 1,
  Ipv4: 2,
  Icmpv4: 3,
  Udp: 4,
  Tcp: 5,
  Dhcpv4: 6,
  Dns: 7,
  /** A whole Ethernet frame walked down through IPv4 into ICMP/UDP/TCP and DHCP/DNS by port. */
  Frame: 8,
} as const;
export type WireFormatName = keyof typeof WireFormat;

/** `wireCheck` flag: verify checksums (off means the frame is trusted, as with virtio offload). */
export const WIRE_CHECK_VERIFY_CHECKSUMS = 1;

/** Negative results of wire parsers (must match assembly/wire/error.ts). */
export const WireError = {
  Ok: 0,
  Truncated: -1,
  Malformed: -2,
  BadChecksum: -3,
  Unsupported: -4,
  BufferTooSmall: -5,
} as const;
