// Queues a microtask without Node's queueMicrotask, which wraps every callback in an
// AsyncResource for async_hooks (an object, a bound function and a scope switch per call): on the
// paths that run once per frame batch and per poll it was a sixth of a 1-byte echo's round trip.
// A reaction on an already settled promise lands in the same microtask queue, in the same FIFO
// order, with nothing else allocated but the reaction. Callers catch their own errors; one that
// escapes surfaces as an unhandled rejection, as loudly as an exception from queueMicrotask.

const settled = Promise.resolve();

export function queueTask(task: () => void): void {
  void settled.then(task);
}
