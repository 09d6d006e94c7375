// The core module's exports. Everything the host may call is re-exported from assembly/abi; the
// host side of this contract is bindings/exports.ts.
export { heapTop, memoryPages } from "./abi/memory";
export { wireCheck, wireInputAt } from "./abi/wire_check";
export { configBlock, init, layoutTable, poll, waitingForRoom } from "./abi/stack";
export {
  socketOpen, socketBind, socketSend, socketRecv, socketRecvDone, socketError, socketSetOption,
  socketClose, socketCloseAll, socketCapacity, socketInfo, socketDescribe,
} from "./abi/sockets";
export { socketConnect, socketDisconnect, udpMaxPayload } from "./abi/udp";
export { routeNextHop } from "./abi/route";
export {
  tcpConnect, tcpListen, tcpAccept, tcpWriteSpan, tcpWriteCommit, tcpReadSpan, tcpReadConsume,
  tcpShutdown, tcpClose, tcpAbort, tcpSetOption, tcpDescribe, tcpTimeWaitCount,
} from "./abi/tcp";
