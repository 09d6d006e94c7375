// Public entry point of the wasmnet package.
export {
  loadCore, CoreTrapError, ErrnoError, Errno, errnoName, WireFormat, WireError,
  WIRE_CHECK_VERIFY_CHECKSUMS,
} from '../bindings/index.js';
export type { CoreExports, CoreSource, ErrnoName, WireFormatName } from '../bindings/index.js';
