// A learning Ethernet switch. Each port is a LinkEndpoint, cabled to a stack (or anything else) with
// a MemoryLink, so each cable can have its own impairments:
//
//   const sw = new Switch({ ports: 3, clock });
//   MemoryLink.connect(stackA, sw.port(0));
//   MemoryLink.connect(stackB, sw.port(1), { delayMs: 20 });
//
// or, for the common case, `Switch.connect([stackA, stackB, stackC], { link: { delayMs: 1 } })`, which
// makes the switch and one MemoryLink per endpoint.
//
// Forwarding: the source MAC of every frame (unless it is a group address) is learned on its ingress
// port. A unicast frame to a learned MAC goes out that port only, or is filtered (dropped) if that is
// the ingress port: a frame never goes back out the port it came in. Broadcast, multicast and unknown
// unicast frames are flooded to every other port. Entries not refreshed within agingMs are forgotten;
// the table holds at most maxEntries, the least recently seen entry making room for a new one.
// Forwarding is synchronous inside receive(); the links on both sides make it asynchronous.
// The `trusted` flag is not carried across the switch: the outgoing link decides.

import { RealClock, type Clock } from '../clock.js';
import { ETHERNET_HEADER_BYTES, formatMac, transmitted, type LinkEndpoint, type Transmit } from './endpoint.js';
import { MemoryLink, type MemoryLinkOptions } from './memory-link.js';

export interface SwitchOptions {
  /** Number of ports (>= 1). */
  ports: number;
  /** The clock (ageing, and the links' clock). Default: a RealClock. */
  clock?: Clock;
  /** How long an unrefreshed MAC entry lives. Default 300,000 ms (IEEE 802.1D). */
  agingMs?: number;
  /** MAC table capacity. Default 1024. */
  maxEntries?: number;
}

export interface SwitchPortStats {
  rxFrames: number;
  rxBytes: number;
  /** Frames sent out this port (taken by its cable). */
  txFrames: number;
  txBytes: number;
  /** Frames for this port dropped because its cable's queue was full. */
  txQueueFull: number;
}

export interface SwitchStats {
  /** Frames received on any port. */
  received: number;
  /** Unicast frames sent out the one learned port. */
  forwarded: number;
  /** Frames flooded (broadcast, multicast, unknown unicast); each counts once. */
  flooded: number;
  /** Unicast frames whose destination was learned on the ingress port. */
  filtered: number;
  /** Frames shorter than an Ethernet header. */
  runts: number;
  /** Copies not sent because the egress port has no cable. */
  unconnected: number;
  /** Copies dropped because the egress port's cable had no room (its queueFrames were waiting). */
  queueFull: number;
  /** New MAC table entries. */
  learned: number;
  /** MACs seen on a different port than learned. */
  moved: number;
  /** Entries removed by ageing. */
  aged: number;
  /** Entries evicted because the table was full. */
  evicted: number;
  /** Current table size. */
  entries: number;
  ports: SwitchPortStats[];
}

export interface SwitchTableEntry {
  mac: string;
  port: number;
  /** Milliseconds since the MAC was last seen. */
  ageMs: number;
}

interface Entry {
  port: number;
  lastSeen: number;
}

/** One port of a Switch: a LinkEndpoint to connect with a MemoryLink. */
export class SwitchPort implements LinkEndpoint {
  /** @internal */ transmit: Transmit | undefined;
  /** @internal */ readonly stats: SwitchPortStats = { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, txQueueFull: 0 };

  /** @internal */
  constructor(private readonly owner: Switch, readonly index: number) {}

  get clock(): Clock {
    return this.owner.clock;
  }

  receive(frame: Uint8Array, _trusted: boolean): void {
    this.owner.ingress(this.index, frame);
  }

  attach(transmit: Transmit): void {
    this.transmit = transmit;
  }

  /** True once a link has been attached. */
  get connected(): boolean {
    return this.transmit !== undefined;
  }
}

/** The result of Switch.connect. */
export interface SwitchNetwork {
  readonly switch: Switch;
  /** links[i] connects endpoints[i] (its side a) to switch port i (side b). */
  readonly links: MemoryLink[];
  /** Closes every link. */
  close(): void;
}

const macKey = (f: Uint8Array, o: number): number =>
  (f[o]! * 0x10000 + f[o + 1]! * 0x100 + f[o + 2]!) * 0x1000000 + (f[o + 3]! * 0x10000 + f[o + 4]! * 0x100 + f[o + 5]!);

const keyToMac = (key: number): string => {
  const bytes = new Uint8Array(6);
  let k = key;
  for (let i = 5; i >= 0; i--) { bytes[i] = k % 256; k = Math.floor(k / 256); }
  return formatMac(bytes);
};

export class Switch {
  readonly clock: Clock;
  private readonly ports: SwitchPort[];
  private readonly agingMicros: number;
  private readonly maxEntries: number;
  /** MAC -> entry, kept in order of last sighting (oldest first) by delete + set on refresh. */
  private readonly table = new Map<number, Entry>();
  private readonly counters = {
    received: 0, forwarded: 0, flooded: 0, filtered: 0, runts: 0, unconnected: 0, queueFull: 0,
    learned: 0, moved: 0, aged: 0, evicted: 0,
  };

  constructor(options: SwitchOptions) {
    const { ports, agingMs = 300_000, maxEntries = 1024 } = options;
    if (!Number.isInteger(ports) || ports < 1) throw new RangeError(`ports must be a positive integer, got ${ports}`);
    if (!(agingMs > 0)) throw new RangeError(`agingMs must be > 0, got ${agingMs}`);
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.clock = options.clock ?? new RealClock();
    this.agingMicros = agingMs * 1000;
    this.maxEntries = maxEntries;
    this.ports = Array.from({ length: ports }, (_, i) => new SwitchPort(this, i));
  }

  /** Builds a switch with one port per endpoint and cables endpoint i to port i. */
  static connect(endpoints: LinkEndpoint[], options: Omit<SwitchOptions, 'ports'> & { link?: MemoryLinkOptions } = {}): SwitchNetwork {
    if (endpoints.length === 0) throw new RangeError('Switch.connect needs at least one endpoint');
    const clock = options.clock ?? endpoints[0]!.clock;
    const sw = new Switch({ ...options, ports: endpoints.length, clock });
    const links = endpoints.map((e, i) => {
      const seed = options.link?.seed;
      // Each cable gets its own random streams: seed + i (or i + 1 by default).
      const linkOptions: MemoryLinkOptions = { ...options.link, seed: seed === undefined ? i + 1 : typeof seed === 'bigint' ? seed + BigInt(i) : seed + i };
      return MemoryLink.connect(e, sw.port(i), linkOptions);
    });
    return { switch: sw, links, close: () => links.forEach((l) => l.close()) };
  }

  /** Port i, a LinkEndpoint. */
  port(i: number): SwitchPort {
    const p = this.ports[i];
    if (!p) throw new RangeError(`port ${i} does not exist (the switch has ${this.ports.length})`);
    return p;
  }

  get portCount(): number {
    return this.ports.length;
  }

  /** Forgets every learned MAC. */
  flush(): void {
    this.table.clear();
  }

  /** The MAC table, oldest sighting first (expired entries removed first). */
  entries(): SwitchTableEntry[] {
    const now = this.clock.now();
    this.age(now);
    return [...this.table].map(([key, e]) => ({ mac: keyToMac(key), port: e.port, ageMs: (now - e.lastSeen) / 1000 }));
  }

  /** The port a MAC (aa:bb:cc:dd:ee:ff) is learned on, or undefined. */
  lookup(mac: string): number | undefined {
    const bytes = mac.split(':').map((h) => parseInt(h, 16));
    if (bytes.length !== 6 || bytes.some((b) => !(b >= 0 && b <= 255))) throw new TypeError(`not a MAC address: ${mac}`);
    this.age(this.clock.now());
    return this.table.get(macKey(Uint8Array.from(bytes), 0))?.port;
  }

  stats(): SwitchStats {
    this.age(this.clock.now());
    return { ...this.counters, entries: this.table.size, ports: this.ports.map((p) => ({ ...p.stats })) };
  }

  /** @internal A frame arriving on port `ingress`. */
  ingress(ingress: number, frame: Uint8Array): void {
    const c = this.counters;
    const inPort = this.ports[ingress]!;
    inPort.stats.rxFrames++;
    inPort.stats.rxBytes += frame.length;
    c.received++;
    if (frame.length < ETHERNET_HEADER_BYTES) { c.runts++; return; }
    const now = this.clock.now();
    this.age(now);
    if ((frame[6]! & 1) === 0) this.learn(macKey(frame, 6), ingress, now);

    if ((frame[0]! & 1) === 0) {
      const entry = this.table.get(macKey(frame, 0));
      if (entry) {
        if (entry.port === ingress) { c.filtered++; return; }
        c.forwarded++;
        this.egress(entry.port, frame);
        return;
      }
    }
    c.flooded++;
    let first = true;
    for (const port of this.ports) {
      if (port.index === ingress) continue;
      if (!port.transmit) { c.unconnected++; continue; }
      // The switch owns `frame`: the first egress port gets it, the others copies.
      this.egress(port.index, first ? frame : frame.slice());
      first = false;
    }
  }

  private egress(index: number, frame: Uint8Array): void {
    const port = this.ports[index]!;
    if (!port.transmit) { this.counters.unconnected++; return; }
    // A full cable drops the frame, like a switch's full egress queue (tail drop), and says so.
    if (!transmitted(port.transmit(frame))) {
      this.counters.queueFull++;
      port.stats.txQueueFull++;
      return;
    }
    port.stats.txFrames++;
    port.stats.txBytes += frame.length;
  }

  private learn(key: number, port: number, now: number): void {
    const entry = this.table.get(key);
    if (entry) {
      if (entry.port !== port) { entry.port = port; this.counters.moved++; }
      entry.lastSeen = now;
      this.table.delete(key); // move to the newest end
      this.table.set(key, entry);
      return;
    }
    if (this.table.size >= this.maxEntries) {
      const oldest = this.table.keys().next().value as number;
      this.table.delete(oldest);
      this.counters.evicted++;
    }
    this.table.set(key, { port, lastSeen: now });
    this.counters.learned++;
  }

  /** Drops expired entries; the map is ordered by last sighting, so they are all at the front. */
  private age(now: number): void {
    for (const [key, entry] of this.table) {
      if (now - entry.lastSeen <= this.agingMicros) break;
      this.table.delete(key);
      this.counters.aged++;
    }
  }
}
