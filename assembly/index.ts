// The core module's exports. Everything the host may call is re-exported from assembly/abi; the
// host side of this contract is bindings/exports.ts.
export { heapTop, memoryPages } from "./abi/memory";
export { wireCheck, wireInputAt } from "./abi/wire_check";
export { configBlock, init, layoutTable, poll } from "./abi/stack";
export {
  socketOpen, socketBind, socketConnect, socketDisconnect, socketSend, socketRecv, socketRecvDone,
  socketError, socketSetOption, socketClose, socketCapacity, socketInfo, udpMaxPayload,
} from "./abi/sockets";
