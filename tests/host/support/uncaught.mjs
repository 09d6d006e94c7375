// Shared by host suites that check what reaches process 'uncaughtException'.

/**
 * Runs `fn` with every uncaught exception collected into an array instead of failing the test run:
 * an 'error' emitted on a socket without a listener is thrown outside the stack's event loop, which
 * would kill a real process. Restores the test runner's own handlers afterwards.
 */
export async function collectingUncaught(fn) {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const caught = [];
  const collect = (error) => caught.push(error);
  process.on('uncaughtException', collect);
  try {
    return await fn(caught);
  } finally {
    process.off('uncaughtException', collect);
    for (const listener of saved) process.on('uncaughtException', listener);
  }
}
