// Node's own http over a wasmnet stack (Node only: `import { stackHttp } from 'wasmnet/http'`).
// Nothing of http is reimplemented: the client side is an http.Agent whose createConnection opens a
// stack.net socket (keep-alive pooling is the Agent's own), and the server side is a real
// http.Server whose listen() opens a stack.net listener and hands each accepted socket to the
// server as node:net would ('connection'). Libraries that take an agent, a createConnection
// function or an http.Server (axios, ws, ...) then run over the stack unchanged.

import http from 'node:http';
import type { NetApi, Server as NetServer, Socket, TcpSocketConnectOpts, ServerOpts } from './net.js';

/** What this module needs of a Stack (a type only, so the bundle does not copy the stack). */
export interface HasNet {
  readonly net: NetApi;
}

type RequestArgs =
  | [url: string | URL, callback?: (res: http.IncomingMessage) => void]
  | [url: string | URL, options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void]
  | [options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void];

/** net.Server keeps its options on itself (http.Server too); a listener should honour them. */
type NetServerFields = ServerOpts & { maxConnections?: number };

type Listen = (...args: unknown[]) => http.Server;

/** Node's http client and server over one stack. */
export class StackHttp {
  /** `new stackHttp(stack).Agent({ keepAlive: true })`: an http.Agent whose sockets are the stack's. */
  readonly Agent: new (options?: http.AgentOptions) => http.Agent;
  /** The Agent request() and get() use when given none (keep-alive, as Node's globalAgent since 19). */
  readonly globalAgent: http.Agent;
  readonly #stack: HasNet;

  constructor(stack: HasNet) {
    this.#stack = stack;
    this.Agent = class StackAgent extends http.Agent {
      // Node's Agent calls createConnection(options, callback) and takes a returned socket as
      // created; the options are net.createConnection's (host, port, localAddress, lookup, timeout...).
      override createConnection(options: http.ClientRequestArgs): Socket {
        return stack.net.createConnection(options as TcpSocketConnectOpts);
      }
    } as unknown as new (options?: http.AgentOptions) => http.Agent;
    this.globalAgent = new this.Agent({ keepAlive: true });
  }

  /** http.createServer's forms; listen() on the result listens on the stack. */
  createServer(requestListener?: http.RequestListener): http.Server;
  createServer(options: http.ServerOptions, requestListener?: http.RequestListener): http.Server;
  createServer(a?: http.ServerOptions | http.RequestListener, b?: http.RequestListener): http.Server {
    const server = typeof a === 'function' || a === undefined ? http.createServer(a) : http.createServer(a, b);
    return this.attach(server);
  }

  /**
   * Makes an http.Server (made by http.createServer, express, ...) listen on the stack: its
   * listen(), close(), address(), listening, maxConnections, getConnections(), ref() and unref()
   * then act on a stack.net listener. Returns the server.
   */
  attach<S extends http.Server>(server: S): S {
    const fields = server as unknown as NetServerFields;
    const options: ServerOpts = {
      // http.Server is a net.Server made with allowHalfOpen and noDelay (Node's defaults for it).
      allowHalfOpen: fields.allowHalfOpen ?? true,
      pauseOnConnect: fields.pauseOnConnect === true,
      noDelay: fields.noDelay ?? true,
      keepAlive: fields.keepAlive === true,
      keepAliveInitialDelay: fields.keepAliveInitialDelay ?? 0,
    };
    if (fields.highWaterMark !== undefined) options.highWaterMark = fields.highWaterMark;
    const listener: NetServer = this.#stack.net.createServer(options);
    listener.maxConnections = fields.maxConnections;
    listener.on('connection', (socket: Socket) => server.emit('connection', socket));
    listener.on('listening', () => server.emit('listening'));
    listener.on('error', (error: Error) => server.emit('error', error));
    listener.on('drop', (data: unknown) => server.emit('drop', data));
    const nodeClose = server.close.bind(server);
    const define = (name: string, descriptor: PropertyDescriptor): void => {
      Object.defineProperty(server, name, { configurable: true, enumerable: false, ...descriptor });
    };
    define('listen', {
      value: ((...args: unknown[]) => {
        (listener.listen as (...a: unknown[]) => NetServer)(...args);
        return server;
      }) satisfies Listen,
    });
    define('close', {
      value: (callback?: (error?: Error) => void) => {
        // Not listening: Node's own close (callback with ERR_SERVER_NOT_RUNNING, 'close' anyway).
        if (!listener.listening) return nodeClose(callback);
        if (typeof callback === 'function') server.once('close', callback);
        // As http.Server.close since Node 19: idle keep-alive connections go at once; the rest
        // finish their exchange. Node's close then runs once the last connection is gone (it
        // stops the server's header-timeout checks and emits 'close').
        server.closeIdleConnections();
        listener.close(() => nodeClose());
        return server;
      },
    });
    define('address', { value: () => listener.address() });
    define('listening', { get: () => listener.listening });
    define('maxConnections', {
      get: () => listener.maxConnections,
      set: (value: number | undefined) => { listener.maxConnections = value; },
    });
    define('getConnections', {
      value: (callback: (error: Error | null, count: number) => void) => {
        listener.getConnections(callback);
        return server;
      },
    });
    define('ref', { value: () => { listener.ref(); return server; } });
    define('unref', { value: () => { listener.unref(); return server; } });
    return server;
  }

  /** http.request over the stack: the stack's globalAgent unless the options name an agent. */
  request(...args: RequestArgs): http.ClientRequest {
    return (http.request as (...a: unknown[]) => http.ClientRequest)(...this.#withAgent(args));
  }

  /** http.get over the stack (request() that ends at once). */
  get(...args: RequestArgs): http.ClientRequest {
    return (http.get as (...a: unknown[]) => http.ClientRequest)(...this.#withAgent(args));
  }

  /** The arguments with an agent of this stack: the global one, or a fresh one for `agent: false`. */
  #withAgent(args: unknown[]): unknown[] {
    const out = [...args];
    const index = out.findIndex((a) => typeof a === 'object' && a !== null && !(a instanceof URL));
    const given = index >= 0 ? out[index] as http.RequestOptions : undefined;
    if (given && given.agent !== undefined && given.agent !== false) return out;
    const agent = given?.agent === false ? new this.Agent() : this.globalAgent;
    if (given) out[index] = { ...given, agent };
    else out.splice(typeof out[0] === 'string' || out[0] instanceof URL ? 1 : 0, 0, { agent });
    return out;
  }
}

const perStack = new WeakMap<HasNet, StackHttp>();

/** The StackHttp of a stack (one per stack, so its globalAgent pools across callers). */
export function stackHttp(stack: HasNet): StackHttp {
  let h = perStack.get(stack);
  if (!h) {
    h = new StackHttp(stack);
    perStack.set(stack, h);
  }
  return h;
}
