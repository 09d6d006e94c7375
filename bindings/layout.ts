// The single table of memory layouts shared by core and host (compiled by both asc and tsc: only
// `export const NAME = <integer>;` lines here, no types, no expressions the two languages read
// differently). Offsets are in bytes; every field is a little-endian u32 unless noted.
//
// ## Config block (host -> core, written at configBlock() before init)
//
//   0  maxSockets         4  udpRxDatagrams      8  udpRxBytes        12 neighbours
//   16 neighbourPending   20 neighbourLifetimeMs 24 arpRetryMs        28 arpMaxRequests
//   32 rxQueueSize        36 txQueueSize         40 mtu               44 eventRingSize
//   48 loopbackFrames     52 flags               56 seed (u64)        64 mac (6 bytes)
//   72 gateway            76 addressCount        80 addresses[8] as (address, prefixLength)
//   148 portUnreachablePerSecond      152 icmpSockets
//   160 secret (16 bytes: the key of every keyed hash; all zero: derived from the seed)
export const CONFIG_BYTES = 256;
export const CONFIG_MAX_SOCKETS = 0;
export const CONFIG_UDP_RX_DATAGRAMS = 4;
export const CONFIG_UDP_RX_BYTES = 8;
export const CONFIG_NEIGHBOURS = 12;
export const CONFIG_NEIGHBOUR_PENDING = 16;
export const CONFIG_NEIGHBOUR_LIFETIME_MS = 20;
export const CONFIG_ARP_RETRY_MS = 24;
export const CONFIG_ARP_MAX_REQUESTS = 28;
export const CONFIG_RX_QUEUE_SIZE = 32;
export const CONFIG_TX_QUEUE_SIZE = 36;
export const CONFIG_MTU = 40;
export const CONFIG_EVENT_RING_SIZE = 44;
export const CONFIG_LOOPBACK_FRAMES = 48;
export const CONFIG_FLAGS = 52;
export const CONFIG_SEED = 56;
export const CONFIG_MAC = 64;
export const CONFIG_GATEWAY = 72;
export const CONFIG_ADDRESS_COUNT = 76;
export const CONFIG_ADDRESSES = 80;
export const CONFIG_ADDRESS_STRIDE = 8;
export const CONFIG_MAX_ADDRESSES = 8;
export const CONFIG_PORT_UNREACHABLE_PER_SECOND = 148;
/** ICMP (ping) socket slots, a pool of their own beside the UDP sockets (CONFIG_MAX_SOCKETS). */
export const CONFIG_ICMP_SOCKETS = 152;
export const CONFIG_SECRET = 160;
export const CONFIG_SECRET_BYTES = 16;
/**
 * TCP: connections (every state but TIME-WAIT), listeners, each connection's send and receive
 * ring in bytes, TIME-WAIT entries, and the bounds of field report 000/003 in milliseconds.
 */
export const CONFIG_TCP_CONNECTIONS = 176;
export const CONFIG_TCP_LISTENERS = 180;
export const CONFIG_TCP_SEND_BYTES = 184;
export const CONFIG_TCP_RECV_BYTES = 188;
export const CONFIG_TCP_TIME_WAIT_ENTRIES = 192;
export const CONFIG_TCP_TIME_WAIT_MS = 196;
export const CONFIG_TCP_LINGER_MS = 200;
export const CONFIG_TCP_ORPHAN_MS = 204;
/** With CONFIG_FLAG_TCP_FIXED_ISS: the base of every initial sequence number (u32). */
export const CONFIG_TCP_ISS_BASE = 208;

/**
 * CONFIG_FLAGS bit (VIRTIO_NET_F_CSUM): the device completes transport checksums, so the core sends
 * UDP with only the pseudo-header sum in the checksum field and VIRTIO_NET_HDR_F_NEEDS_CSUM set.
 */
export const CONFIG_FLAG_TX_CHECKSUM_OFFLOAD = 1;
/**
 * CONFIG_FLAGS bit, for tests only: TCP initial sequence numbers are CONFIG_TCP_ISS_BASE plus the
 * 4-microsecond clock, instead of RFC 6528's keyed hash, so a test can start a connection's
 * sequence numbers next to 2^32 (field report 004). Predictable ISNs are unsafe on a real network.
 */
export const CONFIG_FLAG_TCP_FIXED_ISS = 2;
/**
 * CONFIG_FLAGS bit (VIRTIO_NET_F_HOST_TSO4 and VIRTIO_NET_F_GUEST_TSO4, which need
 * CONFIG_FLAG_TX_CHECKSUM_OFFLOAD): TCP may hand the device one segment of up to 64 KiB that the
 * device cuts into MSS-sized ones (gso_type VIRTIO_NET_GSO_TCPV4, gso_size the MSS), and the
 * core takes such segments whole. Every queue buffer then holds a 65,535-byte IP packet.
 */
export const CONFIG_FLAG_SEGMENTATION_OFFLOAD = 4;
/** Every CONFIG_FLAGS bit this core knows; others make init fail. */
export const CONFIG_FLAGS_KNOWN = 7;

// ## Layout table (core -> host, at layoutTable() after init): where init put each region.
export const LAYOUT_BYTES = 128;
export const LAYOUT_RX_DESC = 0;
export const LAYOUT_RX_AVAIL = 4;
export const LAYOUT_RX_USED = 8;
export const LAYOUT_RX_SIZE = 12;
export const LAYOUT_TX_DESC = 16;
export const LAYOUT_TX_AVAIL = 20;
export const LAYOUT_TX_USED = 24;
export const LAYOUT_TX_SIZE = 28;
/** Bytes of one frame buffer: a virtio_net_hdr followed by room for one frame. */
export const LAYOUT_BUFFER_BYTES = 32;
export const LAYOUT_EVENTS = 36;
export const LAYOUT_EVENT_CAPACITY = 40;
/** The I/O area socket calls copy payloads through (host writes before send, reads after recv). */
export const LAYOUT_IO = 44;
export const LAYOUT_IO_BYTES = 48;
export const LAYOUT_STATS = 52;
export const LAYOUT_STAT_COUNT = 56;
/** The result block socket calls fill (source address of a datagram, socket info...). */
export const LAYOUT_RESULT = 60;
/** The interface's MAC address (6 bytes, then 2 zero bytes): the config's, or one derived from the secret. */
export const LAYOUT_MAC = 64;
export const LAYOUT_MAC_BYTES = 8;
/** The CONFIG_FLAGS the core runs with (the device's negotiated features: offloads). */
export const LAYOUT_FEATURES = 72;

// ## VirtIO 1.2 split virtqueues (section 2.7), driver = core, device = host.
//
//   descriptor table, 16 bytes each     available ring (driver -> device)   used ring (device -> driver)
//   +--------+-----+-------+------+     +-------+-----+---------+-------+  +-------+-----+-------------------+
//   | addr64 | len | flags | next |     | flags | idx | ring[N] | event |  | flags | idx | ring[N] {id, len} |
//   +--------+-----+-------+------+     +-------+-----+---------+-------+  +-------+-----+-------------------+
//   addr: u64, len: u32, flags/next: u16   u16 each                          id, len: u32; then u16 event
export const VIRTQ_DESC_BYTES = 16;
export const VIRTQ_DESC_ADDR = 0;
export const VIRTQ_DESC_LEN = 8;
export const VIRTQ_DESC_FLAGS = 12;
export const VIRTQ_DESC_NEXT = 14;
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_RING_FLAGS = 0;
export const VIRTQ_RING_IDX = 2;
export const VIRTQ_RING_ENTRIES = 4;
export const VIRTQ_AVAIL_ENTRY_BYTES = 2;
export const VIRTQ_USED_ENTRY_BYTES = 8;
export const VIRTQ_USED_ENTRY_ID = 0;
export const VIRTQ_USED_ENTRY_LEN = 4;
export const VIRTQ_MAX_SIZE = 32768;

// virtio_net_hdr (virtio 1.2 section 5.1.6), leading every frame in both queues:
//   0 flags u8   1 gso_type u8   2 hdr_len u16   4 gso_size u16   6 csum_start u16
//   8 csum_offset u16   10 num_buffers u16
export const VIRTIO_NET_HDR_BYTES = 12;
export const VIRTIO_NET_HDR_FLAGS = 0;
export const VIRTIO_NET_HDR_GSO_TYPE = 1;
export const VIRTIO_NET_HDR_HDR_LEN = 2;
export const VIRTIO_NET_HDR_GSO_SIZE = 4;
export const VIRTIO_NET_HDR_CSUM_START = 6;
export const VIRTIO_NET_HDR_CSUM_OFFSET = 8;
export const VIRTIO_NET_HDR_NUM_BUFFERS = 10;
/** TX: the checksum at csum_start + csum_offset is left for the device to complete. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** RX: the device vouches for the checksums; the core skips verifying them. */
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** gso_type: an ordinary frame. */
export const VIRTIO_NET_GSO_NONE = 0;
/**
 * gso_type: one TCP/IPv4 segment standing for several: hdr_len bytes of Ethernet, IPv4 and TCP
 * headers, then payload that is cut into gso_size-byte segments, each with those headers
 * (sequence number, IP length and identification, flags and checksums fixed per segment).
 */
export const VIRTIO_NET_GSO_TCPV4 = 1;

// ## Handles
// Every socket handle (any kind) is a slot of its kind's pool (assembly/storage/slot_pool.ts):
// bits 0..15 the slot's index, 16..27 its generation (a stale handle never matches), 28..30 the
// pool's tag, the sign bit clear; so a valid handle is never 0 or negative.
export const HANDLE_INDEX_BITS = 16;
export const HANDLE_TAG_SHIFT = 28;
/** Tags are 3 bits: at most this many pools. */
export const HANDLE_TAG_COUNT = 8;

// ## Event ring (core -> host), filled during poll and socket calls, drained by the host after
// every poll. At most one unread entry per socket: later events for it are merged into that entry
// (kind bits OR-ed, value replaced), so a ring with an entry per socket slot never overflows.
//   0 writeCount u32 (core)   4 readCount u32 (host)   8 overflowed u32 (core sets, host clears)
//   12 entries[capacity] of { handle i32, kind u32 (EVENT_* bits), value i32 }
export const EVENTS_WRITE = 0;
export const EVENTS_READ = 4;
export const EVENTS_OVERFLOW = 8;
export const EVENTS_ENTRIES = 12;
export const EVENT_BYTES = 12;
export const EVENT_HANDLE = 0;
export const EVENT_KIND = 4;
export const EVENT_VALUE = 8;
/** Something was queued for reading (data or, for ICMP sockets, an error record). */
export const EVENT_READABLE = 1;
/** A send that failed with ENOBUFS may be retried: the transmit queue has room again. */
export const EVENT_WRITABLE = 2;
/** A pending error was set (socketError reads it); value: the negative errno. */
export const EVENT_ERROR = 4;
/** TCP: the connection reached ESTABLISHED (connect completed, or a listener's child is ready). */
export const EVENT_CONNECTED = 8;
/** TCP: the peer sent FIN; once the queued data is read, reads return end of stream. */
export const EVENT_PEER_CLOSED = 16;
/** TCP: the connection is gone (reset, timed out, or closed by both sides); value: errno or 0. */
export const EVENT_CLOSED = 32;

// ## Result block (core -> host), filled by calls that return more than one number.
//   recv: 0 address u32, 4 port u32, 8 length u32, 12 truncated u32, 16 errno i32 (negative, in
//         an error record), 20 record kind u32 (DATAGRAM_RECORD_*)
//   socketInfo / socketDescribe: 0 kind, 4 state, 8 localAddress, 12 localPort, 16 remoteAddress,
//         20 remotePort, 24 createdAt (i64 micros), 32 rxQueued bytes, 36 rxDatagrams,
//         40 generation handle, 44 pending error (negative errno, not cleared), 48 waiting for
//         room to send (0/1)
export const RESULT_BYTES = 128;
export const RESULT_ADDRESS = 0;
export const RESULT_PORT = 4;
export const RESULT_LENGTH = 8;
export const RESULT_TRUNCATED = 12;
export const RESULT_ERRNO = 16;
export const RESULT_RECORD_KIND = 20;
export const INFO_KIND = 0;
export const INFO_STATE = 4;
export const INFO_LOCAL_ADDRESS = 8;
export const INFO_LOCAL_PORT = 12;
export const INFO_REMOTE_ADDRESS = 16;
export const INFO_REMOTE_PORT = 20;
export const INFO_CREATED_AT = 24;
export const INFO_RX_BYTES = 32;
export const INFO_RX_DATAGRAMS = 36;
export const INFO_HANDLE = 40;
export const INFO_PENDING_ERROR = 44;
export const INFO_WAITING_WRITABLE = 48;
// TCP connections and listeners (tcpDescribe, and socketInfo over TCP slots) add:
//   52 send queued (unsent + unacknowledged bytes), 56 room to write now, 60 TCP_INFO_FLAG_* bits,
//   64 smoothed RTT (us), 68 RTO (us), 72 retransmissions, 76 congestion window, 80 peer's window,
//   84 MSS we send with; a listener: 88 backlog, 92 children (half-open + unaccepted), 96 queued
//   for accept, 100 SYNs refused for a full backlog.
export const INFO_TX_BYTES = 52;
export const INFO_TX_ROOM = 56;
export const INFO_TCP_FLAGS = 60;
export const INFO_SRTT = 64;
export const INFO_RTO = 68;
export const INFO_RETRANSMITS = 72;
export const INFO_CWND = 76;
export const INFO_PEER_WINDOW = 80;
export const INFO_MSS = 84;
export const INFO_BACKLOG = 88;
export const INFO_CHILDREN = 92;
export const INFO_ACCEPT_QUEUED = 96;
export const INFO_REFUSED = 100;
/** The peer sent FIN (reads end once the queue is empty). */
export const TCP_INFO_FLAG_PEER_FINISHED = 1;
/** Closed by its user, still finishing (an orphan). */
export const TCP_INFO_FLAG_ORPHAN = 2;
/** A listener's child not yet accepted. */
export const TCP_INFO_FLAG_UNACCEPTED = 4;
export const TCP_INFO_FLAG_NO_DELAY = 8;
export const TCP_INFO_FLAG_KEEP_ALIVE = 16;
/** Our FIN is queued (shutdown or close): nothing more can be written. */
export const TCP_INFO_FLAG_FIN_QUEUED = 32;
/** tcpSetOption options. */
export const TCP_OPTION_NO_DELAY = 1;
/** value: 0 off, else the idle time in milliseconds before the first probe. */
export const TCP_OPTION_KEEP_ALIVE = 2;
/** Span calls (tcpWriteSpan, tcpReadSpan) put the span's address here, and the total bytes
 * available across the wrap (the span may be shorter) at RESULT_SPAN_TOTAL. */
export const RESULT_SPAN_PTR = 0;
export const RESULT_SPAN_TOTAL = 8;
/**
 * tcpReadSpan: 1 when nothing more will arrive (the peer's FIN is in, or the connection closed):
 * once the queued bytes are read it returns 0 or the error. 0: it would return -EAGAIN then.
 */
export const RESULT_SPAN_FINAL = 12;

// ## Receive-queue record kinds (RESULT_RECORD_KIND). ICMP sockets get errors in line with replies,
// so each error reaches the ping it quotes (address: the quoted destination, port: its sequence).
/** A datagram (UDP) or an echo reply (ICMP: port is its sequence number). */
export const DATAGRAM_RECORD_DATA = 0;
/** An ICMP error quoting one of our echo requests; RESULT_ERRNO says which error. */
export const DATAGRAM_RECORD_ICMP_ERROR = 1;
/**
 * ARP gave up on the next hop at `address`: pings routed through it fail with EHOSTUNREACH; port is
 * how many echo requests the socket had sent by then (mod 2^16), so later ones are spared.
 */
export const DATAGRAM_RECORD_NEIGHBOUR_UNREACHABLE = 2;

// ## Socket kinds and states (socketInfo). Each kind has its own pool; its kind is the tag in the
// bits 28..30 of every handle it issues.
export const SOCKET_KIND_FREE = 0;
export const SOCKET_KIND_UDP = 1;
export const SOCKET_KIND_ICMP = 2;
export const SOCKET_STATE_OPEN = 1;
export const SOCKET_STATE_BOUND = 2;
export const SOCKET_STATE_CONNECTED = 3;
/** A TCP connection (its state is a TCP_STATE_*) and a TCP listener. */
export const SOCKET_KIND_TCP = 3;
export const SOCKET_KIND_TCP_LISTENER = 4;

// ## TCP states (RFC 9293 3.3.2), as socketInfo reports them for SOCKET_KIND_TCP.
export const TCP_STATE_CLOSED = 0;
export const TCP_STATE_LISTEN = 1;
export const TCP_STATE_SYN_SENT = 2;
export const TCP_STATE_SYN_RECEIVED = 3;
export const TCP_STATE_ESTABLISHED = 4;
export const TCP_STATE_FIN_WAIT_1 = 5;
export const TCP_STATE_FIN_WAIT_2 = 6;
export const TCP_STATE_CLOSE_WAIT = 7;
export const TCP_STATE_CLOSING = 8;
export const TCP_STATE_LAST_ACK = 9;
export const TCP_STATE_TIME_WAIT = 10;

// ## Statistics: u32 counters at LAYOUT_STATS, one per index below (bindings/stats.ts names them).
export const STAT_RX_FRAMES = 0;
export const STAT_TX_FRAMES = 1;
export const STAT_RX_BYTES = 2;
export const STAT_TX_BYTES = 3;
export const STAT_ETH_DROP_MALFORMED = 4;
export const STAT_ETH_DROP_NOT_FOR_US = 5;
export const STAT_ETH_DROP_UNKNOWN_TYPE = 6;
export const STAT_ARP_DROP_MALFORMED = 7;
export const STAT_ARP_REQUESTS_ANSWERED = 8;
export const STAT_ARP_REQUESTS_SENT = 9;
export const STAT_ARP_GIVE_UPS = 10;
export const STAT_ARP_PENDING_DROPPED = 11;
export const STAT_ARP_EVICTIONS = 12;
export const STAT_IP_DROP_MALFORMED = 13;
export const STAT_IP_DROP_CHECKSUM = 14;
export const STAT_IP_DROP_NOT_FOR_US = 15;
export const STAT_IP_DROP_FRAGMENT = 16;
export const STAT_IP_DROP_UNKNOWN_PROTOCOL = 17;
export const STAT_TX_NO_ROUTE = 18;
export const STAT_ICMP_DROP_MALFORMED = 19;
export const STAT_ICMP_ECHO_ANSWERED = 20;
export const STAT_ICMP_UNREACHABLE_SENT = 21;
export const STAT_ICMP_UNREACHABLE_RATE_LIMITED = 22;
export const STAT_UDP_DROP_MALFORMED = 23;
export const STAT_UDP_DROP_CHECKSUM = 24;
export const STAT_UDP_DROP_NO_SOCKET = 25;
export const STAT_UDP_DROP_QUEUE_FULL = 26;
export const STAT_TX_QUEUE_FULL = 27;
export const STAT_LOOPBACK_FRAMES = 28;
export const STAT_LOOPBACK_QUEUE_FULL = 29;
export const STAT_SOCKET_TABLE_FULL = 30;
export const STAT_EVENT_OVERFLOWS = 31;
export const STAT_RX_DROP_DEVICE_ERROR = 32;
export const STAT_ICMP_ECHO_REPLIES = 33;
export const STAT_ICMP_DROP_NO_SOCKET = 34;
export const STAT_ICMP_ERRORS_RECEIVED = 35;
export const STAT_ARP_RECEIVED = 36;
export const STAT_ICMP_ECHO_REQUESTS = 37;
export const STAT_UDP_DELIVERED = 38;
/** An echo reply for a ping socket whose queue was full. */
export const STAT_ICMP_DROP_QUEUE_FULL = 39;
/**
 * A well-formed datagram whose source cannot be a host (RFC 1122 3.2.1.3): multicast, class E,
 * 0/8 (0.0.0.0 only as the source of UDP), a broadcast, 127/8 or our own address from the wire.
 */
export const STAT_IP_DROP_MARTIAN_SOURCE = 40;
/** A datagram whose IP options are malformed (RFC 791 3.1: a length below 2 or past the header). */
export const STAT_IP_DROP_BAD_OPTIONS = 41;
/** ARP whose sender MAC is broadcast, multicast, zero or ours, or whose sender IP is no host's. */
export const STAT_ARP_DROP_BAD_SENDER = 42;
/** ARP from another MAC claiming one of our addresses (RFC 5227 2.4): not learned. */
export const STAT_ARP_ADDRESS_CONFLICTS = 43;
/** A well-formed ICMP message of a type this stack does not act on (RFC 1122 3.2.2: discarded). */
export const STAT_ICMP_DROP_UNSUPPORTED_TYPE = 44;
/** An ICMP error we meant to send that could not be built or transmitted (queue full, no route). */
export const STAT_ICMP_ERRORS_NOT_SENT = 45;
/**
 * An ICMP error RFC 1122 3.2.2 forbids sending: about an ICMP error, a broadcast or multicast
 * (IP or link layer), a fragment other than the first, or a source that is no host's.
 */
export const STAT_ICMP_ERRORS_SUPPRESSED = 46;
/**
 * Well-formed ARP for something other than Ethernet and IPv4 (another hardware or protocol type,
 * other address sizes): RFC 826 has a host ignore it.
 */
export const STAT_ARP_DROP_UNSUPPORTED = 47;
/** Used entries from the device with an id never offered or an impossible length (virtqueue). */
export const STAT_RX_QUEUE_DEVICE_ERRORS = 48;
export const STAT_TX_QUEUE_DEVICE_ERRORS = 49;
/** ICMP errors quoting one of our packets that Linux also ignores (soft errors, unconnected UDP). */
export const STAT_ICMP_ERRORS_IGNORED = 50;
/** TCP segments received that reached the TCP layer, and segments sent. */
export const STAT_TCP_SEGMENTS_RECEIVED = 51;
export const STAT_TCP_SEGMENTS_SENT = 52;
/** TCP segments too short, with a bad data offset, a zero port or a malformed option. */
export const STAT_TCP_DROP_MALFORMED = 53;
export const STAT_TCP_DROP_CHECKSUM = 54;
/** TCP to a broadcast address (RFC 1122 4.2.3.10: never accepted). */
export const STAT_TCP_DROP_BROADCAST = 55;
/** Segments for no connection and no listener: answered with RST (RFC 9293 3.10.7.1). */
export const STAT_TCP_DROP_NO_SOCKET = 56;
/** RSTs we sent, for any reason (closed port, bad ACK, abort, full backlog or table). */
export const STAT_TCP_RESETS_SENT = 57;
/** Acceptable RSTs that ended a connection. */
export const STAT_TCP_RESETS_RECEIVED = 58;
/** A SYN refused (RST) because its listener's backlog of half-open plus unaccepted was full. */
export const STAT_TCP_BACKLOG_FULL = 59;
/** A SYN refused (RST) because no connection slot was free, not even an orphan's. */
export const STAT_TCP_TABLE_FULL = 60;
/** Connections opened: by connect (active) and by a listener (passive, on reaching ESTABLISHED). */
export const STAT_TCP_ACTIVE_OPENS = 61;
export const STAT_TCP_PASSIVE_OPENS = 62;
/** Segments sent again (RTO or fast retransmit). */
export const STAT_TCP_RETRANSMITS = 63;
/** Connections that failed with ETIMEDOUT (SYN, data or probe retries exhausted). */
export const STAT_TCP_TIMEOUTS = 64;
/** Half-open (SYN-RECEIVED) connections dropped when their SYN-ACK retries ran out. */
export const STAT_TCP_HALF_OPEN_TIMEOUTS = 65;
/** Closed connections reset because their data was not acknowledged within the linger bound. */
export const STAT_TCP_LINGER_RESETS = 66;
/** Closed connections stuck in FIN-WAIT, CLOSING or LAST-ACK reclaimed after the orphan bound. */
export const STAT_TCP_ORPHANS_TIMED_OUT = 67;
/** Closed connections still finishing, reset early because their slot was needed for a new one. */
export const STAT_TCP_ORPHANS_EVICTED = 68;
/** TIME-WAIT entries dropped early because the TIME-WAIT table was full. */
export const STAT_TCP_TIME_WAIT_EVICTED = 69;
/** Segments that the transmit path refused (queue full): recovered by retransmission. */
export const STAT_TCP_SEND_FAILED = 70;
/** Segments outside the window, or RFC 5961 challenges, answered with (rate-limited) ACKs or dropped. */
export const STAT_TCP_DROP_OUT_OF_WINDOW = 71;
/** Out-of-order segments refused because the assembler's hole limit was reached. */
export const STAT_TCP_DROP_TOO_MANY_HOLES = 72;
/**
 * A connection said it owed a segment now but had none to give: it is looked at again 1 ms later,
 * so it can never make poll spin. Always 0 unless there is a bug (the fuzz tests assert it).
 */
export const STAT_TCP_IDLE_WAKEUPS = 73;
/**
 * Frames longer than the MTU (with its Ethernet header) that are not a large TCP segment the
 * device marked as one (segmentation offload's receive buffers hold 64 KiB; nothing else may use
 * the room).
 */
export const STAT_RX_DROP_OVERSIZE = 74;
export const STAT_COUNT = 75;
