// Public entry point of the wasmnet package.
export {
  loadCore, CoreTrapError, ErrnoError, Errno, errnoName, WireFormat, WireError,
  WIRE_CHECK_VERIFY_CHECKSUMS,
} from '../bindings/index.js';
export type { CoreExports, CoreSource, ErrnoName, WireFormatName } from '../bindings/index.js';
export { Stack } from './stack.js';
export type { StackOptions, StackLimits, StackReport, SocketReport, TcpReport, TcpStateName } from './stack.js';
export { systemError } from './errors.js';
export type { ErrorLocation, NodeErrorCode } from './errors.js';
export { Socket as DgramSocket } from './dgram.js';
export type { RemoteInfo, AddressInfo } from './dgram.js';
export type { PingOptions, PingResult } from './ping.js';
export { NetApi, Socket, Server } from './net.js';
export type {
  AddressInfo as NetAddressInfo, SocketConstructorOpts, TcpSocketConnectOpts, ServerOpts, ListenOptions,
} from './net.js';
export { TcpConnection } from './webstream-connection.js';
export { TcpListener } from './webstream-listener.js';
export type { OpenTcpOptions, ListenTcpOptions } from './webstream-listener.js';
export { parseIpv4, formatIpv4, isIpv4 } from './address.js';
export { RealClock, VirtualClock, sameClock } from './clock.js';
export type { Clock, TimerHandle, RealClockOptions } from './clock.js';
export { ETHERNET_HEADER_BYTES, formatMac } from './devices/endpoint.js';
export type { LinkEndpoint, Transmit, TransmitOptions } from './devices/endpoint.js';
export { Random } from './devices/random.js';
export { MemoryLink } from './devices/memory-link.js';
export type { MemoryLinkOptions, LinkImpairments, LinkDirectionStats, MemoryLinkStats } from './devices/memory-link.js';
export { Switch, SwitchPort } from './devices/switch.js';
export type { SwitchOptions, SwitchStats, SwitchPortStats, SwitchTableEntry, SwitchNetwork } from './devices/switch.js';
export { FramePort } from './devices/frame-port.js';
export type { FramePortOptions, FramePortStats } from './devices/frame-port.js';
export { PcapWriter, PCAP_MAGIC, LINKTYPE_ETHERNET } from './devices/pcap.js';
export type { PcapSink, PcapWriterOptions, PcapTap } from './devices/pcap.js';
export { DatagramDevice, UDP_MAX_PAYLOAD_BYTES } from './devices/datagram-device.js';
export type { DatagramDeviceOptions, DatagramDeviceStats, DatagramAddress } from './devices/datagram-device.js';
