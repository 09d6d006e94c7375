// Memory facts the host and the tests read to prove the core's promise: after init, nothing is
// ever allocated and the memory never grows.

/**
 * The stub runtime's bump pointer, read without moving it: a zero-byte allocation lands exactly at
 * the top, and freeing the last block hands it straight back.
 */
export function heapTop(): usize {
  const probe = heap.alloc(0);
  heap.free(probe);
  return probe;
}

/** Memory size in 64 KiB pages. */
export function memoryPages(): i32 {
  return memory.size();
}
