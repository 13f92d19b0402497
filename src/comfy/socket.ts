import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { backoffDelay } from './backoff.js';
import { parseBinaryFrame, parseTextFrame, type ComfyEvent, type PreviewFrame } from './events.js';
import { wsUrl, type ComfyServer } from './server.js';

export interface ComfySocketOptions {
  server: ComfyServer;
  clientId: string;
  /** How often to ping; a socket that misses a pong for `pingTimeoutMs` is dead, however quiet. */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  random?: () => number;
  /** Ask for type-4 preview frames that carry prompt_id. */
  previewMetadata?: boolean;
}

export interface ComfySocketEvents {
  event: [ComfyEvent];
  preview: [PreviewFrame];
  open: [];
  /** The socket came back after a drop: events may have been missed, so watchers re-check /history. */
  reconnected: [];
  down: [Error];
  /** A pong arrived: the connection is alive, however quiet. */
  heartbeat: [];
}

/**
 * One websocket per server, with a stable clientId. ComfyUI sends nothing during a long node without progress,
 * so silence is not death: liveness is judged by ping/pong, not by message traffic.
 */
export class ComfySocket extends EventEmitter<ComfySocketEvents> {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private closed = false;
  private everOpened = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongDeadline: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private openWaiters: Array<() => void> = [];

  constructor(private readonly options: ComfySocketOptions) {
    super();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.closed = false;
    this.connect();
  }

  /** Resolves once the socket is open (or immediately if it already is). */
  waitOpen(signal?: AbortSignal): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => resolve();
      this.openWaiters.push(done);
      signal?.addEventListener('abort', () => {
        this.openWaiters = this.openWaiters.filter((waiter) => waiter !== done);
        reject(signal.reason as Error);
      }, { once: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.stopPing();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.terminate();
    });
  }

  private connect(): void {
    const socket = new WebSocket(wsUrl(this.options.server, this.options.clientId), {
      headers: { ...this.options.server.headers },
      handshakeTimeout: 10_000,
    });
    this.socket = socket;
    socket.on('open', () => this.onOpen(socket));
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('pong', () => {
      clearTimeout(this.pongDeadline);
      this.emit('heartbeat');
    });
    socket.on('error', (error) => this.emit('down', error));
    // Reconnecting only after 'close' matters: a new socket with the same clientId opened while the old one is
    // still closing gets unregistered by the server when the old close completes, and then hears nothing.
    socket.on('close', () => this.onClose(socket));
  }

  private onOpen(socket: WebSocket): void {
    this.attempt = 0;
    if (this.options.previewMetadata) {
      socket.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
    }
    this.startPing(socket);
    const wasReconnect = this.everOpened;
    this.everOpened = true;
    this.emit('open');
    if (wasReconnect) this.emit('reconnected');
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      const frame = parseBinaryFrame(data);
      if (frame) this.emit('preview', frame);
      return;
    }
    const event = parseTextFrame(data.toString('utf8'));
    if (event) this.emit('event', event);
  }

  private onClose(socket: WebSocket): void {
    if (this.socket !== socket) return;
    this.stopPing();
    this.socket = undefined;
    if (this.closed) return;
    const delay = backoffDelay(this.attempt++, {
      baseMs: this.options.reconnectBaseMs ?? 250,
      maxMs: this.options.reconnectMaxMs ?? 15_000,
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private startPing(socket: WebSocket): void {
    const interval = this.options.pingIntervalMs ?? 10_000;
    const timeout = this.options.pingTimeoutMs ?? 5_000;
    this.pingTimer = setInterval(() => {
      clearTimeout(this.pongDeadline);
      this.pongDeadline = setTimeout(() => socket.terminate(), timeout);
      socket.ping();
    }, interval);
    this.pingTimer.unref();
  }

  private stopPing(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongDeadline);
  }
}
