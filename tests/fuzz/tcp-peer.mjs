// A TCP peer played by hand: a FramePort on a MemoryLink to one stack, answering ARP for its own
// address and handing every TCP segment the stack sends to `onSegment`, which answers (or not)
// with `send`. Tests use it for peers a real stack would not be: one that vanishes after the
// handshake, one that puts data on the handshake ACK, one that floods half-open SYNs.
import { MemoryLink, FramePort } from 'wasmnet';
import { ethernet, arp, get16, get32, ETHERTYPE_ARP } from './frame-fuzz.mjs';
import { tcpFrame, parseTcpFrame } from './tcp-segments.mjs';

const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const macBytes = (text) => text.split(':').map((h) => parseInt(h, 16));

export class ScriptedPeer {
  /** Segments the stack sent, and frames the peer sent, counted. */
  received = 0;
  sent = 0;
  /** (segment) => void: every TCP segment the stack sends to the peer. */
  onSegment = null;

  /** `to`: where the peer's link goes (default the stack itself; a switch port puts it beside others). */
  constructor({ stack, clock, ip, mac = [0x02, 0xfe, 0, 0, 0, 0x01], to = stack, linkOptions = {} }) {
    this.stack = stack;
    this.ip = ip;
    this.mac = mac;
    this.stackMac = macBytes(stack.mac);
    this.port = new FramePort({ clock });
    this.link = MemoryLink.connect(this.port, to, linkOptions);
    this.port.onFrame = (f) => this.#frame(f);
  }

  #frame(f) {
    if (f.length >= 42 && get16(f, 12) === ETHERTYPE_ARP && get16(f, 20) === ARP_REQUEST && get32(f, 38) === this.ip) {
      this.port.send(ethernet(this.stackMac, this.mac, ETHERTYPE_ARP, arp(ARP_REPLY, this.mac, this.ip, this.stackMac, get32(f, 28))));
      return;
    }
    const segment = parseTcpFrame(f);
    if (segment === null || segment.dst !== this.ip) return;
    this.received++;
    this.onSegment?.(segment);
  }

  /** Sends a segment from the peer (`src` defaults to its address) to the stack. */
  send(fields) {
    this.sent++;
    this.port.send(tcpFrame(this.stackMac, this.mac, { src: this.ip, ...fields }));
  }

  /** Sends a whole frame as it is (the fuzzer's damaged ones). */
  sendFrame(frame) {
    this.sent++;
    this.port.send(frame);
  }

  close() {
    this.link.close();
  }
}
