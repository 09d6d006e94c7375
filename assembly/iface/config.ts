// The stack's limits and addresses, read once from the config block the host filled before init.
// A zero field means "use the default"; an impossible value makes init fail with EINVAL and
// allocate nothing. Limits that are each legal but together too big are refused by the
// composition root (footprint in ../core.ts), which knows every pool's size function.

import {
  CONFIG_MAX_SOCKETS, CONFIG_UDP_RX_DATAGRAMS, CONFIG_UDP_RX_BYTES, CONFIG_NEIGHBOURS,
  CONFIG_NEIGHBOUR_PENDING, CONFIG_NEIGHBOUR_LIFETIME_MS, CONFIG_ARP_RETRY_MS, CONFIG_ARP_MAX_REQUESTS,
  CONFIG_RX_QUEUE_SIZE, CONFIG_TX_QUEUE_SIZE, CONFIG_MTU, CONFIG_EVENT_RING_SIZE,
  CONFIG_LOOPBACK_FRAMES, CONFIG_FLAGS, CONFIG_SEED, CONFIG_MAC, CONFIG_GATEWAY,
  CONFIG_ADDRESS_COUNT, CONFIG_ADDRESSES, CONFIG_ADDRESS_STRIDE, CONFIG_MAX_ADDRESSES,
  CONFIG_PORT_UNREACHABLE_PER_SECOND, CONFIG_ICMP_SOCKETS, CONFIG_SECRET, CONFIG_TCP_CONNECTIONS,
  CONFIG_TCP_LISTENERS, CONFIG_TCP_SEND_BYTES, CONFIG_TCP_RECV_BYTES, CONFIG_TCP_TIME_WAIT_ENTRIES,
  CONFIG_TCP_TIME_WAIT_MS, CONFIG_TCP_LINGER_MS, CONFIG_TCP_ORPHAN_MS, CONFIG_TCP_ISS_BASE, VIRTQ_MAX_SIZE, CONFIG_FLAGS_KNOWN, CONFIG_FLAG_SEGMENTATION_OFFLOAD,
  CONFIG_FLAG_TX_CHECKSUM_OFFLOAD, VIRTQ_DESC_BYTES,
  VIRTQ_AVAIL_ENTRY_BYTES, VIRTQ_USED_ENTRY_BYTES, VIRTIO_NET_HDR_BYTES, EVENT_BYTES,
} from "../../bindings/layout";
import { readMac } from "../wire/bytes";
import { macIsUnicast } from "../wire/arp";
import { IPV4_MIN_MTU, IPV4_MAX_PACKET_LEN, ipv4IsMulticast, ipv4IsClassE, ipv4IsThisNetwork } from "../wire/ipv4";
import { ETHERNET_HEADER_LEN } from "../wire/ethernet";
import { MICROS_PER_MILLI } from "../time";

const DEFAULT_MAX_SOCKETS: u32 = 64;
/** Ping sockets: one per concurrent pinger is enough; the host shares one among its pings. */
const DEFAULT_ICMP_SOCKETS: u32 = 8;
const DEFAULT_UDP_RX_DATAGRAMS: u32 = 64;
const DEFAULT_UDP_RX_BYTES: u32 = 64 * 1024;
const DEFAULT_NEIGHBOURS: u32 = 64;
/** RFC 1122 2.3.2.2 asks for at least one queued packet per unresolved neighbour. */
const DEFAULT_NEIGHBOUR_PENDING: u32 = 4;
const DEFAULT_NEIGHBOUR_LIFETIME_MS: u32 = 60_000;
/** RFC 1122 2.3.2.1: no more than one ARP request per second per destination. */
const DEFAULT_ARP_RETRY_MS: u32 = 1_000;
const DEFAULT_ARP_MAX_REQUESTS: u32 = 3;
const DEFAULT_QUEUE_SIZE: u32 = 256;
/** With segmentation offload every buffer holds 64 KiB: 64 of them each way are 4 MiB. */
const DEFAULT_QUEUE_SIZE_LARGE_FRAMES: u32 = 64;
const DEFAULT_MTU: u32 = 1500;
const DEFAULT_EVENT_RING_SIZE: u32 = 1024;
const DEFAULT_LOOPBACK_FRAMES: u32 = 64;
const DEFAULT_PORT_UNREACHABLE_PER_SECOND: u32 = 1000;
const DEFAULT_TCP_CONNECTIONS: u32 = 64;
const DEFAULT_TCP_LISTENERS: u32 = 16;
const DEFAULT_TCP_BUFFER: u32 = 64 * 1024;
/** TIME-WAIT entries hold no buffers (about 64 bytes each): room for a busy minute of churn. */
const DEFAULT_TCP_TIME_WAIT_ENTRIES: u32 = 4096;
/** 2 * MSL (RFC 9293 3.4.2), 60 s as Linux. */
const DEFAULT_TCP_TIME_WAIT_MS: u32 = 60_000;
/** Field report 003: close gets 2 s to deliver its data, then resets. */
const DEFAULT_TCP_LINGER_MS: u32 = 2_000;
/** Field report 000: a close the peer never finishes is reclaimed after 30 s. */
const DEFAULT_TCP_ORPHAN_MS: u32 = 30_000;
/** A TCP ring must hold at least one segment of the largest MTU. */
const MIN_TCP_BUFFER: u32 = 2048;

/** Upper bounds that keep every size computation far from overflow. */
const MAX_SOCKETS_LIMIT: u32 = 65535;
const MAX_MTU: u32 = 65535 - 14;
const MAX_SOCKET_BUFFER: u32 = 64 * 1024 * 1024;
const MAX_TABLE: u32 = 1 << 16;
const MAX_DURATION_MS: u32 = 24 * 3600 * 1000;

/** An IPv4 prefix is 0 to 32 bits long; 0 (everything on-link) is refused. */
const MAX_PREFIX_LENGTH: u32 = 32;
/** Prefixes of /31 and /32 have no broadcast address (RFC 3021); shorter ones do. */
const MAX_PREFIX_WITH_BROADCAST: u32 = 30;
/** Top octet of 127.0.0.0/8, the loopback net (RFC 1122 3.2.1.3(g)). */
const LOOPBACK_NET: u32 = 127;
const TOP_OCTET_SHIFT: u32 = 24;

@inline function orDefault(value: u32, fallback: u32): u32 {
  return value == 0 ? fallback : value;
}

export class Config {
  maxSockets: i32 = 0;
  icmpSockets: i32 = 0;
  udpRxDatagrams: i32 = 0;
  udpRxBytes: i32 = 0;
  neighbours: i32 = 0;
  neighbourPending: i32 = 0;
  neighbourLifetime: i64 = 0;
  arpRetry: i64 = 0;
  arpMaxRequests: i32 = 0;
  rxQueueSize: i32 = 0;
  txQueueSize: i32 = 0;
  mtu: i32 = 0;
  eventRingSize: i32 = 0;
  loopbackFrames: i32 = 0;
  flags: u32 = 0;
  seed: u64 = 0;
  /** The secret's two key words (both 0: derive them from the seed). */
  secret0: u64 = 0;
  secret1: u64 = 0;
  mac: u64 = 0;
  gateway: u32 = 0;
  addressCount: i32 = 0;
  addresses: StaticArray<u32> = new StaticArray<u32>(CONFIG_MAX_ADDRESSES);
  prefixLengths: StaticArray<u8> = new StaticArray<u8>(CONFIG_MAX_ADDRESSES);
  portUnreachablePerSecond: i32 = 0;
  tcpConnections: i32 = 0;
  tcpListeners: i32 = 0;
  tcpSendBytes: i32 = 0;
  tcpRecvBytes: i32 = 0;
  tcpTimeWaitEntries: i32 = 0;
  tcpTimeWait: i64 = 0;
  tcpLinger: i64 = 0;
  tcpOrphanTimeout: i64 = 0;
  /** CONFIG_TCP_ISS_BASE (used only with CONFIG_FLAG_TCP_FIXED_ISS). */
  tcpIssBase: u32 = 0;

  /** TCP may hand the device segments of up to 64 KiB, and takes them whole (CONFIG_FLAG_SEGMENTATION_OFFLOAD). */
  get segmentationOffload(): bool {
    return (this.flags & CONFIG_FLAG_SEGMENTATION_OFFLOAD) != 0;
  }

  /**
   * Bytes of the largest frame a queue buffer holds: an MTU-sized packet, or with segmentation
   * offload the largest IPv4 packet (RFC 791: a 16-bit total length).
   */
  get deviceFrameBytes(): i32 {
    return ETHERNET_HEADER_LEN + (this.segmentationOffload ? IPV4_MAX_PACKET_LEN : this.mtu);
  }

  /** Reads and validates the block at `ptr`; returns false (nothing changed elsewhere) if invalid. */
  read(ptr: usize): bool {
    const sockets = orDefault(load<u32>(ptr + CONFIG_MAX_SOCKETS), DEFAULT_MAX_SOCKETS);
    const icmpSockets = orDefault(load<u32>(ptr + CONFIG_ICMP_SOCKETS), DEFAULT_ICMP_SOCKETS);
    const rxDatagrams = orDefault(load<u32>(ptr + CONFIG_UDP_RX_DATAGRAMS), DEFAULT_UDP_RX_DATAGRAMS);
    const rxBytes = orDefault(load<u32>(ptr + CONFIG_UDP_RX_BYTES), DEFAULT_UDP_RX_BYTES);
    const neighbours = orDefault(load<u32>(ptr + CONFIG_NEIGHBOURS), DEFAULT_NEIGHBOURS);
    const pending = orDefault(load<u32>(ptr + CONFIG_NEIGHBOUR_PENDING), DEFAULT_NEIGHBOUR_PENDING);
    const lifetimeMs = orDefault(load<u32>(ptr + CONFIG_NEIGHBOUR_LIFETIME_MS), DEFAULT_NEIGHBOUR_LIFETIME_MS);
    const retryMs = orDefault(load<u32>(ptr + CONFIG_ARP_RETRY_MS), DEFAULT_ARP_RETRY_MS);
    const maxRequests = orDefault(load<u32>(ptr + CONFIG_ARP_MAX_REQUESTS), DEFAULT_ARP_MAX_REQUESTS);
    const flags = load<u32>(ptr + CONFIG_FLAGS);
    const largeFrames = (flags & CONFIG_FLAG_SEGMENTATION_OFFLOAD) != 0;
    const defaultQueue = largeFrames ? DEFAULT_QUEUE_SIZE_LARGE_FRAMES : DEFAULT_QUEUE_SIZE;
    const rxQueue = orDefault(load<u32>(ptr + CONFIG_RX_QUEUE_SIZE), defaultQueue);
    const txQueue = orDefault(load<u32>(ptr + CONFIG_TX_QUEUE_SIZE), defaultQueue);
    const mtu = orDefault(load<u32>(ptr + CONFIG_MTU), DEFAULT_MTU);
    const events = orDefault(load<u32>(ptr + CONFIG_EVENT_RING_SIZE), DEFAULT_EVENT_RING_SIZE);
    const loopback = orDefault(load<u32>(ptr + CONFIG_LOOPBACK_FRAMES), DEFAULT_LOOPBACK_FRAMES);
    const unreachable = orDefault(load<u32>(ptr + CONFIG_PORT_UNREACHABLE_PER_SECOND), DEFAULT_PORT_UNREACHABLE_PER_SECOND);
    const count = load<u32>(ptr + CONFIG_ADDRESS_COUNT);
    const tcpConnections = orDefault(load<u32>(ptr + CONFIG_TCP_CONNECTIONS), DEFAULT_TCP_CONNECTIONS);
    const tcpListeners = orDefault(load<u32>(ptr + CONFIG_TCP_LISTENERS), DEFAULT_TCP_LISTENERS);
    const tcpSend = orDefault(load<u32>(ptr + CONFIG_TCP_SEND_BYTES), DEFAULT_TCP_BUFFER);
    const tcpRecv = orDefault(load<u32>(ptr + CONFIG_TCP_RECV_BYTES), DEFAULT_TCP_BUFFER);
    const timeWaitEntries = orDefault(load<u32>(ptr + CONFIG_TCP_TIME_WAIT_ENTRIES), DEFAULT_TCP_TIME_WAIT_ENTRIES);
    const timeWaitMs = orDefault(load<u32>(ptr + CONFIG_TCP_TIME_WAIT_MS), DEFAULT_TCP_TIME_WAIT_MS);
    const lingerMs = orDefault(load<u32>(ptr + CONFIG_TCP_LINGER_MS), DEFAULT_TCP_LINGER_MS);
    const orphanMs = orDefault(load<u32>(ptr + CONFIG_TCP_ORPHAN_MS), DEFAULT_TCP_ORPHAN_MS);

    if (icmpSockets > MAX_SOCKETS_LIMIT) return false;
    if (sockets > MAX_SOCKETS_LIMIT || rxDatagrams > MAX_TABLE || rxBytes > MAX_SOCKET_BUFFER) return false;
    if (neighbours > MAX_TABLE || pending > MAX_TABLE) return false;
    if (lifetimeMs > MAX_DURATION_MS || retryMs > MAX_DURATION_MS || maxRequests > MAX_TABLE) return false;
    if (!isQueueSize(rxQueue) || !isQueueSize(txQueue)) return false;
    if (mtu < <u32>IPV4_MIN_MTU || mtu > MAX_MTU) return false;
    if (events > MAX_TABLE || loopback > MAX_TABLE || unreachable > MAX_TABLE) return false;
    if (count > <u32>CONFIG_MAX_ADDRESSES) return false;
    if (tcpConnections > MAX_SOCKETS_LIMIT || tcpListeners > MAX_SOCKETS_LIMIT || timeWaitEntries > MAX_TABLE) return false;
    if (tcpSend < MIN_TCP_BUFFER || tcpSend > MAX_SOCKET_BUFFER || tcpRecv < MIN_TCP_BUFFER || tcpRecv > MAX_SOCKET_BUFFER) return false;
    if (timeWaitMs > MAX_DURATION_MS || lingerMs > MAX_DURATION_MS || orphanMs > MAX_DURATION_MS) return false;
    // An unknown feature bit is a host built for a newer core: refuse rather than ignore it.
    if ((flags & ~<u32>CONFIG_FLAGS_KNOWN) != 0) return false;
    // virtio 1.2 5.1.3.1: HOST_TSO4 and GUEST_TSO4 depend on the checksum features.
    if (largeFrames && (flags & CONFIG_FLAG_TX_CHECKSUM_OFFLOAD) == 0) return false;
    for (let i: u32 = 0; i < count; i++) {
      const at = ptr + CONFIG_ADDRESSES + i * CONFIG_ADDRESS_STRIDE;
      if (!isUsableAddress(load<u32>(at), load<u32>(at + 4))) return false;
    }
    // Zero: none given, the core draws one from the secret. Otherwise a unicast address.
    const mac = readMac(ptr + CONFIG_MAC);
    if (mac != 0 && !macIsUnicast(mac)) return false;
    if (!isUsableGateway(load<u32>(ptr + CONFIG_GATEWAY), ptr, count)) return false;

    this.maxSockets = <i32>sockets;
    this.icmpSockets = <i32>icmpSockets;
    this.udpRxDatagrams = <i32>rxDatagrams;
    this.udpRxBytes = <i32>rxBytes;
    this.neighbours = <i32>neighbours;
    this.neighbourPending = <i32>pending;
    this.neighbourLifetime = <i64>lifetimeMs * MICROS_PER_MILLI;
    this.arpRetry = <i64>retryMs * MICROS_PER_MILLI;
    this.arpMaxRequests = <i32>maxRequests;
    this.rxQueueSize = <i32>rxQueue;
    this.txQueueSize = <i32>txQueue;
    this.mtu = <i32>mtu;
    this.eventRingSize = <i32>events;
    this.loopbackFrames = <i32>loopback;
    this.portUnreachablePerSecond = <i32>unreachable;
    this.tcpConnections = <i32>tcpConnections;
    this.tcpListeners = <i32>tcpListeners;
    this.tcpSendBytes = <i32>tcpSend;
    this.tcpRecvBytes = <i32>tcpRecv;
    this.tcpTimeWaitEntries = <i32>timeWaitEntries;
    this.tcpTimeWait = <i64>timeWaitMs * MICROS_PER_MILLI;
    this.tcpLinger = <i64>lingerMs * MICROS_PER_MILLI;
    this.tcpOrphanTimeout = <i64>orphanMs * MICROS_PER_MILLI;
    this.tcpIssBase = load<u32>(ptr + CONFIG_TCP_ISS_BASE);
    this.flags = flags;
    this.seed = load<u64>(ptr + CONFIG_SEED);
    this.secret0 = load<u64>(ptr + CONFIG_SECRET);
    this.secret1 = load<u64>(ptr + CONFIG_SECRET + 8);
    this.mac = readMac(ptr + CONFIG_MAC);
    this.gateway = load<u32>(ptr + CONFIG_GATEWAY);
    this.addressCount = <i32>count;
    for (let i: u32 = 0; i < count; i++) {
      const at = ptr + CONFIG_ADDRESSES + i * CONFIG_ADDRESS_STRIDE;
      unchecked(this.addresses[i] = load<u32>(at));
      unchecked(this.prefixLengths[i] = <u8>load<u32>(at + 4));
    }
    return true;
  }
}

/** Host bits of `address` under a prefix of `length` bits (1..32). */
@inline function hostBits(address: u32, length: u32): u32 {
  return length == MAX_PREFIX_LENGTH ? 0 : address & (<u32>0xffffffff >>> length);
}

/** Whether `address` is one that names no host (RFC 1122 3.2.1.3) or never leaves one (127/8). */
function isReservedAddress(address: u32): bool {
  return ipv4IsThisNetwork(address) || ipv4IsMulticast(address) || ipv4IsClassE(address) ||
    (address >>> TOP_OCTET_SHIFT) == LOOPBACK_NET;
}

/**
 * An address this interface can hold: a unicast address (not 0/8 with 0.0.0.0, not 224/4, not
 * 240/4 with 255.255.255.255, not 127/8, which the interface always has on its own) with a
 * prefix of 1 to 32 bits (/32 is a point-to-point link; /0 would make every address on-link),
 * and not the directed broadcast of its own prefix (it would be both ours and everyone's).
 */
function isUsableAddress(address: u32, prefixLength: u32): bool {
  if (prefixLength == 0 || prefixLength > MAX_PREFIX_LENGTH) return false;
  if (isReservedAddress(address)) return false;
  if (prefixLength <= MAX_PREFIX_WITH_BROADCAST &&
      hostBits(address, prefixLength) == hostBits(<u32>0xffffffff, prefixLength)) return false;
  return true;
}

/**
 * No gateway (0), or one we can reach: a unicast address, not one of ours, on one of the
 * configured prefixes and not that prefix's broadcast. A gateway off every prefix would never be
 * used (the interface has no route to it), so every packet off-link would fail later instead.
 */
function isUsableGateway(gateway: u32, ptr: usize, count: u32): bool {
  if (gateway == 0) return true;
  if (isReservedAddress(gateway)) return false;
  let onLink = false;
  for (let i: u32 = 0; i < count; i++) {
    const at = ptr + CONFIG_ADDRESSES + i * CONFIG_ADDRESS_STRIDE;
    const address = load<u32>(at);
    const length = load<u32>(at + 4);
    if (address == gateway) return false;
    if (length == MAX_PREFIX_LENGTH) continue;
    const mask = ~(<u32>0xffffffff >>> length);
    if ((address & mask) != (gateway & mask)) continue;
    if (length <= MAX_PREFIX_WITH_BROADCAST && (gateway | mask) == <u32>0xffffffff) return false;
    onLink = true;
  }
  return onLink;
}

function isQueueSize(n: u32): bool {
  return n >= 2 && n <= <u32>VIRTQ_MAX_SIZE && (n & (n - 1)) == 0;
}
