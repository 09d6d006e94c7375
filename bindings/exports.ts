// Every export of the core module with its signature: the one place where the host names raw
// exports. Pointers are byte offsets into the module's memory (i32 in JS); time crosses as
// microseconds in a double (exact below 2^53), never as a bigint.

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

  /** Where the host writes the config (layout.ts "Config block") before init. */
  configBlock(): number;
  /** Allocates every pool from the config: 0, -EALREADY or -EINVAL. */
  init(): number;
  /** Where init recorded every region (layout.ts "Layout table"); 0 before init. */
  layoutTable(): number;
  /** Runs the stack at `nowMicros`; returns the next deadline in microseconds (Infinity: none). */
  poll(nowMicros: number): number;
  /**
   * 1 when something waits for the transmit queue to take frames (connections owing segments,
   * sockets whose send found no room, resolved frames): poll once a device took some.
   */
  waitingForRoom(): number;

  /**
   * A socket of kind SOCKET_KIND_UDP or SOCKET_KIND_ICMP: handle or -errno (EMFILE when full).
   * `nowMicros`: the host's clock (socket calls never run on the stale time of the last poll).
   */
  socketOpen(kind: number, nowMicros: number): number;
  socketBind(handle: number, address: number, port: number): number;
  socketConnect(handle: number, address: number, port: number): number;
  socketDisconnect(handle: number): number;
  /** Sends `len` bytes from the I/O area at `nowMicros` (ICMP: `port` is the echo sequence number). */
  socketSend(handle: number, address: number, port: number, len: number, nowMicros: number): number;
  /**
   * Address of the oldest record's payload (result block: source, port, length, record kind,
   * errno of an error record) or -EAGAIN.
   */
  socketRecv(handle: number): number;
  socketRecvDone(handle: number): number;
  socketError(handle: number): number;
  socketSetOption(handle: number, option: number, value: number): number;
  socketClose(handle: number): number;
  /** Closes every socket (the stack is closing); returns how many were open. */
  socketCloseAll(): number;
  /** Socket slots of every kind (socketInfo's index range: UDP slots, then ICMP). */
  socketCapacity(): number;
  /** Describes slot `index` in the result block; its handle, or 0 when free. */
  socketInfo(index: number): number;
  /** Describes the socket `handle` names (state, queue, pending error, waiting for room): 0 or -EBADF. */
  socketDescribe(handle: number): number;
  udpMaxPayload(): number;

  // ---- TCP (assembly/abi/tcp.ts). Connections and listeners have handles of their own kinds. ----
  /** Connects to (address, port) from (localAddress, localPort), 0 = choose: handle or -errno. */
  tcpConnect(address: number, port: number, localAddress: number, localPort: number, nowMicros: number): number;
  /** Listens on (address, port) (port 0: chosen) with `backlog` (0: 511): handle or -errno. */
  tcpListen(address: number, port: number, backlog: number, nowMicros: number): number;
  /** The next established connection of a listener: handle, or -EAGAIN. */
  tcpAccept(listener: number): number;
  /**
   * The send ring's contiguous free span: its length (address at RESULT_SPAN_PTR, all room at
   * RESULT_SPAN_TOTAL); -EAGAIN when full; -EPIPE (or the connection's error) when writing is over.
   */
  tcpWriteSpan(handle: number): number;
  tcpWriteCommit(handle: number, n: number, nowMicros: number): number;
  /**
   * The receive ring's contiguous filled span: its length (address at RESULT_SPAN_PTR, all queued at
   * RESULT_SPAN_TOTAL); 0 at end of stream; -EAGAIN when nothing yet; the error once it died of one.
   */
  tcpReadSpan(handle: number): number;
  tcpReadConsume(handle: number, n: number, nowMicros: number): number;
  tcpShutdown(handle: number, nowMicros: number): number;
  /** Closes a connection (never blocks) or a listener. */
  tcpClose(handle: number, nowMicros: number): number;
  tcpAbort(handle: number, nowMicros: number): number;
  tcpSetOption(handle: number, option: number, value: number, nowMicros: number): number;
  /** Describes a connection or listener in the result block (INFO_*): 0 or -EBADF. */
  tcpDescribe(handle: number): number;
  /** Connections in TIME-WAIT (no slot of their own, so socketInfo does not list them). */
  tcpTimeWaitCount(): number;
  /** The next hop toward `dst` (dst itself on a connected prefix, else the gateway), 0 for none. */
  routeNextHop(dst: number): number;
}

/** socketSetOption options (assembly/socket/table.ts). */
export const SocketOption = { Broadcast: 1, Ttl: 2 } as const;
/** tcpSetOption options (layout.ts TCP_OPTION_*). */
export const TcpOption = { NoDelay: 1, KeepAlive: 2 } as const;

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
