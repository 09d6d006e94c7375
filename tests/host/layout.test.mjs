// Issue 6, "layout checked": walks every constant of bindings/layout.ts, the one memory-layout table
// both asc and tsc compile. Config, layout-table, result/info, event-ring, virtqueue and virtio_net_hdr
// fields fit their blocks without overlap; STAT_* indices are unique and dense and every one reaches
// stack.stats(); and every counter that exists reaches stats(): a virtqueue device error (a used
// entry naming a descriptor never offered) is counted where a user can see it.
//
// layout.ts is read from its source with the TypeScript compiler the build uses (the package bundle
// inlines the constants and does not export them), so the test sees exactly what tsc sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import { Stack, VirtualClock, FramePort, MemoryLink } from 'wasmnet';

const source = await readFile(new URL('../../bindings/layout.ts', import.meta.url), 'utf8');
const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
const layout = await import(`data:text/javascript,${encodeURIComponent(js)}`);

const U16 = 2;
const U32 = 4;
const U64 = 8;
const MAC_BYTES = 6;

/** Constants whose names start with `prefix`, minus `except`, as [name, value]. */
const fields = (prefix, except = []) =>
  Object.entries(layout).filter(([name]) => name.startsWith(prefix) && !except.includes(name));

/** Asserts that [name, offset, size] fields lie inside [0, blockBytes) and do not overlap. */
function assertFitsWithoutOverlap(block, blockBytes, sized) {
  assert.ok(Number.isInteger(blockBytes) && blockBytes > 0, `${block} size`);
  const sorted = [...sized].sort((a, b) => a[1] - b[1]);
  for (const [name, offset, size] of sorted) {
    assert.ok(Number.isInteger(offset) && offset >= 0, `${name} = ${offset} is an offset`);
    assert.ok(offset + size <= blockBytes, `${name} (${offset}..${offset + size}) past the end of ${block} (${blockBytes})`);
  }
  for (let i = 1; i < sorted.length; i++) {
    const [prev, prevOffset, prevSize] = sorted[i - 1];
    const [name, offset] = sorted[i];
    assert.ok(prevOffset + prevSize <= offset, `${prev} (${prevOffset}..${prevOffset + prevSize}) overlaps ${name} at ${offset}`);
  }
}

/** STAT_RX_FRAMES -> rxFrames, as bindings/stats.ts names counters. */
const statKey = (name) => name.slice('STAT_'.length).toLowerCase().replace(/_([a-z])/g, (_, c) => c.toUpperCase());

test('layout: config fields fit in CONFIG_BYTES without overlap (seed u64, mac 6 bytes, the address array, the rest u32)', () => {
  const notFields = ['CONFIG_BYTES', 'CONFIG_ADDRESS_STRIDE', 'CONFIG_MAX_ADDRESSES', 'CONFIG_FLAGS_KNOWN', 'CONFIG_SECRET_BYTES'];
  const sized = fields('CONFIG_', notFields)
    .filter(([name]) => !name.startsWith('CONFIG_FLAG_')) // bits of CONFIG_FLAGS, not fields
    .map(([name, offset]) => {
      if (name === 'CONFIG_SEED') return [name, offset, U64];
      if (name === 'CONFIG_MAC') return [name, offset, MAC_BYTES];
      if (name === 'CONFIG_ADDRESSES') return [name, offset, layout.CONFIG_MAX_ADDRESSES * layout.CONFIG_ADDRESS_STRIDE];
      if (name === 'CONFIG_SECRET') return [name, offset, layout.CONFIG_SECRET_BYTES];
      return [name, offset, U32];
    });
  assert.ok(sized.length >= 20, 'found the config fields');
  assertFitsWithoutOverlap('the config block', layout.CONFIG_BYTES, sized);
  // Each address entry is (address u32, prefixLength u32).
  assert.ok(layout.CONFIG_ADDRESS_STRIDE >= 2 * U32, 'an address entry holds address and prefix length');
  // Every known flag is a single bit and CONFIG_FLAGS_KNOWN is exactly their union.
  const flags = fields('CONFIG_FLAG_').map(([, bit]) => bit);
  for (const bit of flags) assert.ok(bit > 0 && (bit & (bit - 1)) === 0, `flag ${bit} is one bit`);
  assert.equal(flags.reduce((a, b) => a | b, 0), layout.CONFIG_FLAGS_KNOWN);
});

test('layout: layout-table fields fit in LAYOUT_BYTES without overlap', () => {
  const sized = fields('LAYOUT_', ['LAYOUT_BYTES', 'LAYOUT_MAC_BYTES'])
    .map(([name, offset]) => [name, offset, name === 'LAYOUT_MAC' ? layout.LAYOUT_MAC_BYTES : U32]);
  assert.ok(sized.length >= 16, 'found the layout-table fields');
  assertFitsWithoutOverlap('the layout table', layout.LAYOUT_BYTES, sized);
});

test('layout: result fields (recvfrom) and info fields (socketInfo) each fit in RESULT_BYTES without overlap', () => {
  // The span calls (tcpWriteSpan, tcpReadSpan) have a view of their own over the same block.
  const span = fields('RESULT_SPAN_').map(([name]) => name);
  assert.ok(span.length >= 3, 'found the span fields');
  const result = fields('RESULT_', ['RESULT_BYTES', ...span]).map(([name, offset]) => [name, offset, U32]);
  assert.ok(result.length >= 4, 'found the result fields');
  assertFitsWithoutOverlap('the result block (recvfrom)', layout.RESULT_BYTES, result);
  assertFitsWithoutOverlap('the result block (TCP spans)', layout.RESULT_BYTES, span.map((name) => [name, layout[name], U32]));
  const info = fields('INFO_').map(([name, offset]) => [name, offset, name === 'INFO_CREATED_AT' ? U64 : U32]);
  assert.ok(info.length >= 10, 'found the info fields');
  assertFitsWithoutOverlap('the result block (socketInfo)', layout.RESULT_BYTES, info);
});

test('layout: event ring header and entry fields are consistent (EVENT_BYTES covers HANDLE, KIND, VALUE; kinds unique)', () => {
  assertFitsWithoutOverlap('the event ring header', layout.EVENTS_ENTRIES,
    fields('EVENTS_', ['EVENTS_ENTRIES']).map(([name, offset]) => [name, offset, U32]));
  const entryFields = ['EVENT_HANDLE', 'EVENT_KIND', 'EVENT_VALUE'];
  assertFitsWithoutOverlap('an event entry', layout.EVENT_BYTES, entryFields.map((name) => [name, layout[name], U32]));
  const kinds = fields('EVENT_', [...entryFields, 'EVENT_BYTES']);
  assert.ok(kinds.length >= 3, 'found the event kinds');
  assert.equal(new Set(kinds.map(([, v]) => v)).size, kinds.length, `event kinds unique: ${JSON.stringify(kinds)}`);
  assert.ok(kinds.every(([, v]) => Number.isInteger(v) && v > 0), 'no event kind is 0 (an empty entry)');
  // Ring entries stay 4-byte aligned, as the core writes them with u32 stores.
  assert.equal(layout.EVENTS_ENTRIES % U32, 0);
  assert.equal(layout.EVENT_BYTES % U32, 0);
});

test('layout: virtqueue descriptor, used entry and virtio_net_hdr fields fit their sizes without overlap', () => {
  assertFitsWithoutOverlap('a descriptor', layout.VIRTQ_DESC_BYTES, [
    ['VIRTQ_DESC_ADDR', layout.VIRTQ_DESC_ADDR, U64], ['VIRTQ_DESC_LEN', layout.VIRTQ_DESC_LEN, U32],
    ['VIRTQ_DESC_FLAGS', layout.VIRTQ_DESC_FLAGS, U16], ['VIRTQ_DESC_NEXT', layout.VIRTQ_DESC_NEXT, U16],
  ]);
  assertFitsWithoutOverlap('a used entry', layout.VIRTQ_USED_ENTRY_BYTES, [
    ['VIRTQ_USED_ENTRY_ID', layout.VIRTQ_USED_ENTRY_ID, U32], ['VIRTQ_USED_ENTRY_LEN', layout.VIRTQ_USED_ENTRY_LEN, U32],
  ]);
  assertFitsWithoutOverlap('a ring header', layout.VIRTQ_RING_ENTRIES, [
    ['VIRTQ_RING_FLAGS', layout.VIRTQ_RING_FLAGS, U16], ['VIRTQ_RING_IDX', layout.VIRTQ_RING_IDX, U16],
  ]);
  // virtio 1.2 section 5.1.6: flags and gso_type are u8, the rest u16.
  const hdr = fields('VIRTIO_NET_HDR_', ['VIRTIO_NET_HDR_BYTES'])
    .filter(([name]) => !name.startsWith('VIRTIO_NET_HDR_F_'))
    .map(([name, offset]) => [name, offset, name === 'VIRTIO_NET_HDR_FLAGS' || name === 'VIRTIO_NET_HDR_GSO_TYPE' ? 1 : U16]);
  assertFitsWithoutOverlap('virtio_net_hdr', layout.VIRTIO_NET_HDR_BYTES, hdr);
});

test('layout: STAT_* indices are unique and dense 0..STAT_COUNT-1, and every one reaches stack.stats() as a number', async () => {
  const stats = fields('STAT_', ['STAT_COUNT']);
  const indices = stats.map(([, i]) => i).sort((a, b) => a - b);
  assert.deepEqual(indices, Array.from({ length: layout.STAT_COUNT }, (_, i) => i), 'unique and dense');
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock: new VirtualClock(), seed: 1 });
  try {
    const reported = stack.stats();
    const missing = stats.map(([name]) => statKey(name)).filter((key) => typeof reported[key] !== 'number');
    assert.deepEqual(missing, [], 'every counter is in stats()');
  } finally {
    stack.close();
  }
});

// ---- every counter that exists reaches stats() -----------------------------------------------------

/**
 * Creates a stack and captures the core's exports as the host instantiates them, so the test can
 * play a broken virtio device: write into the rings the way no correct device would.
 */
async function stackWithCore(options) {
  const { instantiate } = WebAssembly;
  const OriginalInstance = WebAssembly.Instance;
  let exports;
  WebAssembly.instantiate = async function (...args) {
    const r = await instantiate.apply(this, args);
    exports = (r.instance ?? r).exports;
    return r;
  };
  WebAssembly.Instance = new Proxy(OriginalInstance, {
    construct(target, args) {
      const instance = Reflect.construct(target, args);
      exports = instance.exports;
      return instance;
    },
  });
  try {
    const stack = await Stack.create(options);
    assert.ok(exports?.memory instanceof WebAssembly.Memory, 'captured the core instance');
    return { stack, core: exports };
  } finally {
    WebAssembly.instantiate = instantiate;
    WebAssembly.Instance = OriginalInstance;
  }
}

/** One virtqueue's regions, from the layout table the core wrote at init. */
function queueOf(core, which) {
  const t = new DataView(core.memory.buffer, core.layoutTable(), layout.LAYOUT_BYTES);
  return {
    used: t.getUint32(layout[`LAYOUT_${which}_USED`], true),
    size: t.getUint32(layout[`LAYOUT_${which}_SIZE`], true),
  };
}

/** Appends a used-ring entry {id, len} the way a device returns a buffer (virtio 1.2 2.7.8). */
function writeUsed(core, queue, id, len) {
  const view = new DataView(core.memory.buffer);
  const idx = view.getUint16(queue.used + layout.VIRTQ_RING_IDX, true);
  const entry = queue.used + layout.VIRTQ_RING_ENTRIES + (idx % queue.size) * layout.VIRTQ_USED_ENTRY_BYTES;
  view.setUint32(entry + layout.VIRTQ_USED_ENTRY_ID, id, true);
  view.setUint32(entry + layout.VIRTQ_USED_ENTRY_LEN, len, true);
  view.setUint16(queue.used + layout.VIRTQ_RING_IDX, (idx + 1) & 0xffff, true);
}

/** An ARP request for 10.0.0.1 from 10.0.0.2 (RFC 826), padded to the Ethernet minimum. */
function arpRequestForUs() {
  const f = new Uint8Array(60);
  const v = new DataView(f.buffer);
  f.fill(0xff, 0, 6);
  f.set([0x02, 0xbb, 0, 0, 0, 2], 6);
  v.setUint16(12, 0x0806);
  v.setUint16(14, 1);
  v.setUint16(16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  v.setUint16(20, 1);
  f.set([0x02, 0xbb, 0, 0, 0, 2], 22);
  f.set([10, 0, 0, 2], 28);
  f.set([10, 0, 0, 1], 38);
  return f;
}

test('layout: an RX used entry naming a descriptor never offered is counted in stats().rxQueueDeviceErrors; the next good frame still goes through', async (t) => {
  const clock = new VirtualClock();
  const { stack, core } = await stackWithCore({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(stack, port);
  t.after(() => { stack.close(); link.close(); port.close(); });
  const rx = queueOf(core, 'RX');
  const before = stack.stats();
  writeUsed(core, rx, rx.size + 5, 60);
  port.send(arpRequestForUs()); // a real frame behind it, and the poll that reads both
  await clock.advanceMsAsync(1);
  const after = stack.stats();
  assert.equal(after.arpRequestsAnswered - before.arpRequestsAnswered, 1, 'the good frame was processed');
  assert.equal(typeof after.rxQueueDeviceErrors, 'number', 'stats() has rxQueueDeviceErrors');
  assert.equal(after.rxQueueDeviceErrors - before.rxQueueDeviceErrors, 1, 'the bad entry is counted once');
});

test('layout: an RX used entry too short for the virtio header is counted as a device error in stats()', async (t) => {
  const clock = new VirtualClock();
  const { stack, core } = await stackWithCore({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(stack, port);
  t.after(() => { stack.close(); link.close(); port.close(); });
  const rx = queueOf(core, 'RX');
  const deviceErrors = (s) => (s.rxDropDeviceError ?? 0) + (s.rxQueueDeviceErrors ?? 0);
  const before = stack.stats();
  // The last descriptor the core offered: the device really holds it, but returns fewer bytes
  // than a virtio_net_hdr.
  writeUsed(core, rx, rx.size - 1, layout.VIRTIO_NET_HDR_BYTES - 1);
  port.send(arpRequestForUs());
  await clock.advanceMsAsync(1);
  const after = stack.stats();
  assert.equal(after.arpRequestsAnswered - before.arpRequestsAnswered, 1, 'the good frame was processed');
  assert.equal(deviceErrors(after) - deviceErrors(before), 1, 'counted once, under a device-error counter');
});

test('layout: a TX used entry naming a descriptor never offered is counted in stats().txQueueDeviceErrors', async (t) => {
  const clock = new VirtualClock();
  const TX_QUEUE = 2;
  const { stack, core } = await stackWithCore({ ipv4: '10.0.0.1/24', clock, seed: 1, limits: { txQueueSize: TX_QUEUE } });
  t.after(() => stack.close());
  const tx = queueOf(core, 'TX');
  assert.equal(tx.size, TX_QUEUE);
  const before = stack.stats();
  writeUsed(core, tx, tx.size + 5, 0);
  // More frames than the queue holds (ARP requests for four unknown neighbours), so the core must
  // take back what the device returned, the bad entry included.
  const pings = [2, 3, 4, 5].map((n) => stack.ping(`10.0.0.${n}`, { timeoutMs: 100 }).catch(() => {}));
  await clock.advanceMsAsync(200);
  await Promise.all(pings);
  const after = stack.stats();
  assert.equal(typeof after.txQueueDeviceErrors, 'number', 'stats() has txQueueDeviceErrors');
  assert.equal(after.txQueueDeviceErrors - before.txQueueDeviceErrors, 1, 'the bad entry is counted once');
});
