// How much one idle poll costs with a full neighbour cache, against a fresh stack.
//
// A stack with `neighbours: 65536` learns 65536 neighbours from ARP requests addressed to it
// (RFC 826: a request for our address creates an entry for its sender), then is polled while
// nothing is due. Before issue 6 every poll walked every entry (expiry, request schedule,
// earliest deadline); with the timer heaps an idle poll reads two heap roots, so both numbers
// should be about the same. Prints one JSON line:
//   {"entries":65536,"learned":65536,"microsPerPollFresh":...,"microsPerPollFull":...}
// Usage: npm run build && node bench/arp-poll.mjs [entries] [polls]
import { Stack, MemoryLink, VirtualClock, FramePort } from 'wasmnet';

const ENTRIES = Number(process.argv[2] ?? 65536);
const POLLS = Number(process.argv[3] ?? 20000);
/** Frames injected between polls: well under the default receive ring of 256. */
const BATCH = 128;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV4 = 0x0800;
const ARP_REQUEST = 1;
const ETHERNET_MIN_FRAME = 60;
const OUR_IP = [10, 0, 0, 1];
const OUR_MAC = [0x02, 0xaa, 0, 0, 0, 1];

/** An ARP request from 10.(1 + n / 65536).(n / 256).(n % 256) asking for our address. */
function requestFrom(n) {
  const f = new Uint8Array(ETHERNET_MIN_FRAME);
  const v = new DataView(f.buffer);
  const mac = [0x02, 0x10, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, 0x01];
  const ip = [10, 1 + ((n >>> 16) & 0xff), (n >>> 8) & 0xff, n & 0xff];
  f.fill(0xff, 0, 6);
  f.set(mac, 6);
  v.setUint16(12, ETHERTYPE_ARP);
  v.setUint16(14, 1);
  v.setUint16(16, ETHERTYPE_IPV4);
  f[18] = 6;
  f[19] = 4;
  v.setUint16(20, ARP_REQUEST);
  f.set(mac, 22);
  f.set(ip, 28);
  f.set(OUR_IP, 38);
  return f;
}

async function stackWith(entries) {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.1/8', mac: OUR_MAC.map((b) => b.toString(16).padStart(2, '0')).join(':'), clock, seed: 7, limits: { neighbours: ENTRIES } });
  const port = new FramePort({ clock, bufferFrames: 0 });
  port.onFrame = () => {};
  const link = MemoryLink.connect(stack, port);
  for (let n = 0; n < entries; n += BATCH) {
    for (let k = n; k < Math.min(entries, n + BATCH); k++) port.send(requestFrom(k));
    // The link hands frames over on the (virtual) clock; 1 us per batch is nothing next to the
    // entries' 60 s lifetime.
    await clock.advanceAsync(1);
  }
  return { stack, link, clock };
}

function microsPerPoll(stack) {
  for (let i = 0; i < 1000; i++) stack.session.pollNow(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < POLLS; i++) stack.session.pollNow();
  return Number(process.hrtime.bigint() - start) / 1000 / POLLS;
}

const fresh = await stackWith(0);
const full = await stackWith(ENTRIES);
const learned = full.stack.stats().arpRequestsAnswered;
// Alternate the two and keep each one's best round, so JIT warm-up and GC favour neither.
let bestFresh = Infinity;
let bestFull = Infinity;
for (let round = 0; round < 5; round++) {
  bestFresh = Math.min(bestFresh, microsPerPoll(fresh.stack));
  bestFull = Math.min(bestFull, microsPerPoll(full.stack));
}
const result = {
  entries: ENTRIES,
  learned,
  microsPerPollFresh: Number(bestFresh.toFixed(3)),
  microsPerPollFull: Number(bestFull.toFixed(3)),
};
for (const s of [fresh, full]) { s.stack.close(); s.link.close(); }
console.log(JSON.stringify(result));
