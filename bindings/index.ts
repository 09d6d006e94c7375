// The typed contract between host and core. The host imports from here and nowhere else in core.
export * from './errno.js';
export * from './exports.js';
export * from './load.js';
export * from './stats.js';
export * as layout from './layout.js';
