// A device that carries Ethernet frames over UDP, one frame per datagram, with no header of its
// own: the framing of QEMU's `-netdev dgram` and of socat's `UDP-DATAGRAM` bridged to a TAP
// (`socat -b 65536 TUN,tun-type=tap,iff-no-pi UDP-DATAGRAM:127.0.0.1:<ours>,bind=127.0.0.1:<its>`).
// Node only: it uses node:dgram, loaded on first open() so that the browser bundle never imports it.
//
//   const device = await DatagramDevice.open({ remote: { address: '127.0.0.1', port: 5555 } });
//   MemoryLink.connect(stack, device);
//   ...
//   await device.close();
//
// The socket is connected to the remote, so the kernel delivers only the remote's datagrams and
// each send needs no address lookup.
//
// Frame path. The device offers FrameRings over two fixed slabs made at open():
//   - send slots: a frame from the link is copied into a free slot and handed to the socket; the
//     slot is free again when node:dgram reports the send done. While every slot is in flight the
//     device offers no receive buffer, so a ring-to-ring MemoryLink leaves the stack's frames in its
//     transmit ring (backpressure: the stack's sockets wait for room) instead of dropping them.
//     Sends complete in the order they were made (libuv sends a socket's queue in order and a
//     send completed at once is reported before any later one), so slots are freed oldest first.
//   - receive slots: each datagram is copied into a slot and waits there for the link, which moves
//     it into the stack's receive ring within the shared per-turn frame budget. A datagram that
//     finds every slot full is dropped and counted (UDP has no way to push back on the sender).
// Nothing is allocated per frame beyond what node:dgram does itself (a Buffer per received
// datagram, a request per send). Links without rings use receive() and the transmit function
// instead, and still never allocate here: a received datagram's Buffer is handed on as the frame.

import type { Socket as UdpSocket } from 'node:dgram';
import { RealClock, type Clock } from '../clock.js';
import { isIpv4 } from '../address.js';
import { badPort, invalidArgType, invalidArgValue, outOfRange } from '../errors.js';
import { ETHERNET_HEADER_BYTES, type FrameRings, type LinkEndpoint, type RingListener } from './endpoint.js';

/** Largest UDP payload over IPv4: 65535 minus a 20-byte IP and an 8-byte UDP header (RFC 768, RFC 791). */
export const UDP_MAX_PAYLOAD_BYTES = 65507;
const DEFAULT_MTU = 1500;
/** The smallest IPv4 MTU (RFC 791: every host must accept 68-byte datagrams). */
const MIN_MTU = 68;
const MAX_MTU = UDP_MAX_PAYLOAD_BYTES - ETHERNET_HEADER_BYTES;
const DEFAULT_SEND_SLOTS = 64;
const DEFAULT_RECEIVE_SLOTS = 256;
const MAX_SLOTS = 65536;
const DEFAULT_LOCAL_ADDRESS = '127.0.0.1';
const PORT_MAX = 65535;
const WORD_BYTES = 4;
/** No slot taken. */
const NONE = -1;

export interface DatagramAddress {
  /** Dotted-quad IPv4 address. */
  address: string;
  port: number;
}

export interface DatagramDeviceOptions {
  /** Where frames are sent, and the only source whose datagrams are accepted. */
  remote: DatagramAddress;
  /** The local address and port to bind. Default 127.0.0.1, port 0 (the kernel picks one). */
  local?: Partial<DatagramAddress>;
  /** Largest IP packet carried: frames longer than mtu + 14 bytes are dropped (oversize). Default 1500. */
  mtu?: number;
  /** Datagrams handed to the socket and not yet reported sent, at most. Default 64. */
  sendSlots?: number;
  /** Received frames waiting for the link, at most; more are dropped (receiveQueueFull). Default 256. */
  receiveSlots?: number;
  /** The clock of the endpoint it is connected to (links need one clock on both ends). Default: a RealClock. */
  clock?: Clock;
}

export interface DatagramDeviceStats {
  /** Datagrams received and accepted as frames. */
  framesIn: number;
  bytesIn: number;
  /** Frames the socket reported sent. */
  framesOut: number;
  bytesOut: number;
  dropped: {
    /** Datagrams received, or frames to send, longer than mtu + 14 bytes. */
    oversize: number;
    /** Sends the socket reported failed. */
    sendErrors: number;
    /** Frames from a link without rings that found every send slot in flight. */
    sendQueueFull: number;
    /** Datagrams that found every receive slot waiting for the link. */
    receiveQueueFull: number;
    /** Datagrams received while no link was attached. */
    unconnected: number;
    /** Frames given after close(), and received frames still waiting at close(). */
    closed: number;
  };
  /** Errors the socket reported on receive (ECONNREFUSED: nothing listens at the remote yet). */
  receiveErrors: number;
  /** The last socket error's code, if any. */
  lastError: string | undefined;
  /** Sends handed to the socket and not yet reported. */
  sendsInFlight: number;
  /** Received frames waiting for the link. */
  receiveQueued: number;
}

type DgramModule = typeof import('node:dgram');

/** The error open() rejects with where node:dgram does not exist (a browser). */
export const ERR_WASMNET_NODE_ONLY = 'ERR_WASMNET_NODE_ONLY';

async function loadDgram(): Promise<DgramModule> {
  // A variable specifier keeps browser bundlers from trying to include node:dgram.
  const name = 'node:dgram';
  try {
    return (await import(/* @vite-ignore */ name)) as DgramModule;
  } catch (cause) {
    const error = new Error('DatagramDevice needs node:dgram, which this runtime does not have', { cause });
    Object.defineProperty(error, 'code', { value: ERR_WASMNET_NODE_ONLY, enumerable: true });
    throw error;
  }
}

function checkSlots(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 1 || value > MAX_SLOTS) throw outOfRange(name, `an integer >= 1 and <= ${MAX_SLOTS}`, value);
  return value;
}

function checkAddress(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!isIpv4(value)) throw invalidArgValue(name, value, 'must be a dotted-quad IPv4 address');
  return value;
}

function checkPort(name: string, value: unknown, allowZero: boolean): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > PORT_MAX) {
    throw badPort(name, value, allowZero);
  }
  return value;
}

/**
 * Fixed slots of one size, used as a FIFO: filled at the tail and released from the head in order.
 * Both of a device's FIFOs lie in one buffer (FrameRings has one memory), from slot `first` on.
 */
class SlotFifo {
  readonly lengths: Uint32Array;
  head = 0;
  count = 0;

  constructor(readonly capacity: number, private readonly first: number, private readonly slotBytes: number) {
    this.lengths = new Uint32Array(capacity);
  }

  get free(): number {
    return this.capacity - this.count;
  }

  /** The slot the next push fills (call only when free > 0). */
  get tail(): number {
    return (this.head + this.count) % this.capacity;
  }

  /** Byte offset of `slot` in the shared buffer. */
  offset(slot: number): number {
    return (this.first + slot) * this.slotBytes;
  }

  push(length: number): void {
    this.lengths[this.tail] = length;
    this.count++;
  }

  shift(): void {
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }
}

/** A LinkEndpoint whose far side is a UDP socket: one Ethernet frame per datagram. */
export class DatagramDevice implements LinkEndpoint, FrameRings {
  readonly clock: Clock;
  readonly mtu: number;
  /** Where frames go. */
  readonly remote: DatagramAddress;
  /** The bound local address and port. */
  readonly local: DatagramAddress;
  readonly #socket: UdpSocket;
  readonly #maxFrame: number;
  readonly #send: SlotFifo;
  readonly #received: SlotFifo;
  /** Send slots, then receive slots. */
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  #listener: RingListener | undefined;
  #transmit: ((frame: Uint8Array) => void) | undefined;
  #sendTaken = false;
  #receivedTaken = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #counters: DatagramDeviceStats = {
    framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0,
    dropped: { oversize: 0, sendErrors: 0, sendQueueFull: 0, receiveQueueFull: 0, unconnected: 0, closed: 0 },
    receiveErrors: 0, lastError: undefined, sendsInFlight: 0, receiveQueued: 0,
  };
  /** One completion function for every send (slots are freed in order, so it needs no argument). */
  readonly #onSent = (error: Error | null): void => this.#sent(error);
  txOffset = 0;
  rxOffset = 0;

  private constructor(socket: UdpSocket, local: DatagramAddress, remote: DatagramAddress, mtu: number,
    sendSlots: number, receiveSlots: number, clock: Clock) {
    this.#socket = socket;
    this.local = local;
    this.remote = remote;
    this.mtu = mtu;
    this.clock = clock;
    this.#maxFrame = mtu + ETHERNET_HEADER_BYTES;
    // Word-aligned slots let copies in and out run a word at a time (copy.ts).
    const slotBytes = Math.ceil(this.#maxFrame / WORD_BYTES) * WORD_BYTES;
    const buffer = new ArrayBuffer((sendSlots + receiveSlots) * slotBytes);
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.#send = new SlotFifo(sendSlots, 0, slotBytes);
    this.#received = new SlotFifo(receiveSlots, sendSlots, slotBytes);
    socket.on('message', (message: Buffer) => this.#arrived(message));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#counters.receiveErrors++;
      this.#counters.lastError = error.code ?? error.message;
    });
  }

  /** Binds a UDP socket, connects it to the remote, and returns the device ready to be linked. */
  static async open(options: DatagramDeviceOptions): Promise<DatagramDevice> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const { remote, local = {} } = options;
    if (remote === null || typeof remote !== 'object') throw invalidArgType('options.remote', 'of type object', remote);
    const remoteAddress = checkAddress('options.remote.address', remote.address);
    const remotePort = checkPort('options.remote.port', remote.port, false);
    if (local === null || typeof local !== 'object') throw invalidArgType('options.local', 'of type object', local);
    const localAddress = checkAddress('options.local.address', local.address ?? DEFAULT_LOCAL_ADDRESS);
    const localPort = checkPort('options.local.port', local.port ?? 0, true);
    const { mtu = DEFAULT_MTU } = options;
    if (typeof mtu !== 'number') throw invalidArgType('options.mtu', 'of type number', mtu);
    if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) throw outOfRange('options.mtu', `an integer >= ${MIN_MTU} and <= ${MAX_MTU}`, mtu);
    const sendSlots = checkSlots('options.sendSlots', options.sendSlots, DEFAULT_SEND_SLOTS);
    const receiveSlots = checkSlots('options.receiveSlots', options.receiveSlots, DEFAULT_RECEIVE_SLOTS);
    const clock = options.clock ?? new RealClock();

    const dgram = await loadDgram();
    const socket = dgram.createSocket({ type: 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: localAddress, port: localPort }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(remotePort, remoteAddress, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      throw error;
    }
    const bound = socket.address();
    return new DatagramDevice(socket, { address: bound.address, port: bound.port },
      { address: remoteAddress, port: remotePort }, mtu, sendSlots, receiveSlots, clock);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** FrameRings: links moving frames ring to ring use these. */
  get rings(): FrameRings {
    return this;
  }

  // ---- LinkEndpoint for links without rings ----

  /** A frame from the link: sent as one datagram (dropped and counted if no send slot is free). */
  receive(frame: Uint8Array): void {
    const counters = this.#counters;
    if (this.#closed) { counters.dropped.closed++; return; }
    if (frame.length > this.#maxFrame) { counters.dropped.oversize++; return; }
    if (this.#send.free === 0 || this.#sendTaken) { counters.dropped.sendQueueFull++; return; }
    const send = this.#send;
    this.bytes.set(frame, send.offset(send.tail));
    this.#sendSlot(frame.length);
  }

  attach(transmit: (frame: Uint8Array) => void): void {
    this.#transmit = transmit;
    this.#listener = undefined;
  }

  // ---- FrameRings: the device's transmit ring holds received datagrams ----

  /** Datagrams are ordinary frames: none is a large segment, and a large one is never taken whole. */
  readonly txSegmentSize = 0;
  readonly txHeadersLen = 0;
  readonly takesLargeSegments = false;

  txPending(): number {
    return this.#closed ? 0 : this.#received.count;
  }

  takeTx(): number {
    const received = this.#received;
    if (this.#closed || this.#receivedTaken || received.count === 0) return NONE;
    this.#receivedTaken = true;
    this.txOffset = received.offset(received.head);
    return received.lengths[received.head]!;
  }

  completeTx(): void {
    if (!this.#receivedTaken) return;
    this.#receivedTaken = false;
    this.#received.shift();
  }

  // ---- FrameRings: the device's receive buffers are its free send slots ----

  rxFree(): number {
    return this.#closed ? 0 : this.#send.free;
  }

  takeRx(): number {
    const send = this.#send;
    if (this.#closed || this.#sendTaken || send.free === 0) return NONE;
    this.#sendTaken = true;
    this.rxOffset = send.offset(send.tail);
    return this.#maxFrame;
  }

  completeRx(length: number): void {
    if (!this.#sendTaken) return;
    this.#sendTaken = false;
    this.#sendSlot(length);
  }

  refuseRx(): void {
    if (!this.#sendTaken) return;
    this.#sendTaken = false;
    this.#counters.dropped.oversize++;
  }

  /** Nothing to run: sends leave at completeRx, arrivals are announced as they come. */
  wake(): void {}

  /** Nothing waits for room here: taken frames just leave its queue. */
  txTaken(): void {}

  attachRings(listener: RingListener | undefined): void {
    this.#listener = listener;
    if (listener) this.#transmit = undefined;
    if (listener && this.#received.count > 0) listener.onTransmitReady();
  }

  // ---- the socket ----

  /** Hands the frame in the tail send slot to the socket. */
  #sendSlot(length: number): void {
    const send = this.#send;
    const offset = send.offset(send.tail);
    send.push(length);
    this.#counters.sendsInFlight++;
    try {
      this.#socket.send(this.bytes, offset, length, this.#onSent);
    } catch (error) {
      // A socket closed under us (close() raced a link's delivery): the frame is lost, counted.
      send.count--;
      this.#counters.sendsInFlight--;
      this.#counters.dropped.sendErrors++;
      this.#counters.lastError = (error as NodeJS.ErrnoException).code ?? String(error);
    }
  }

  #sent(error: Error | null): void {
    const counters = this.#counters;
    if (this.#send.count === 0) return; // reset by close()
    const length = this.#send.lengths[this.#send.head]!;
    this.#send.shift();
    counters.sendsInFlight--;
    if (error) {
      counters.dropped.sendErrors++;
      counters.lastError = (error as NodeJS.ErrnoException).code ?? error.message;
    } else {
      counters.framesOut++;
      counters.bytesOut += length;
    }
    if (!this.#closed) this.#listener?.onReceiveRoom();
  }

  #arrived(message: Buffer): void {
    const counters = this.#counters;
    if (this.#closed) { counters.dropped.closed++; return; }
    const length = message.length;
    if (length > this.#maxFrame) { counters.dropped.oversize++; return; }
    const listener = this.#listener;
    if (listener) {
      const received = this.#received;
      if (received.free === 0) { counters.dropped.receiveQueueFull++; return; }
      this.bytes.set(message, received.offset(received.tail));
      received.push(length);
      counters.framesIn++;
      counters.bytesIn += length;
      listener.onTransmitReady();
      return;
    }
    const transmit = this.#transmit;
    if (!transmit) { counters.dropped.unconnected++; return; }
    counters.framesIn++;
    counters.bytesIn += length;
    // The Buffer node:dgram made for this datagram is ours alone: it becomes the frame as it is.
    transmit(message);
  }

  stats(): DatagramDeviceStats {
    const c = this.#counters;
    return { ...c, dropped: { ...c.dropped }, receiveQueued: this.#received.count };
  }

  /**
   * Closes the socket. Frames waiting for the link are dropped (counted as closed); later frames
   * from the link too. Resolves once the socket is closed. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#counters.dropped.closed += this.#received.count;
      this.#received.count = 0;
      this.#receivedTaken = false;
      this.#sendTaken = false;
      this.#closing = new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    }
    return this.#closing;
  }
}
