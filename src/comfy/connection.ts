import { ComfyClient } from './client.js';
import { parseServer, type ComfyServer, type ServerAuth } from './server.js';
import { ComfySocket } from './socket.js';
import { PromptWatcher, type PromptWatcherOptions } from './watcher.js';

/** Everything needed to talk to one ComfyUI server: HTTP client, websocket and prompt watcher. */
export interface ComfyConnection {
  server: ComfyServer;
  client: ComfyClient;
  socket: ComfySocket;
  watcher: PromptWatcher;
  close(): Promise<void>;
}

export interface ConnectOptions extends PromptWatcherOptions {
  clientId: string;
  timeoutMs?: number;
  pingIntervalMs?: number;
  /** Announce `supports_preview_metadata`, so preview frames carry the prompt they belong to. */
  previews?: boolean;
}

/**
 * One server from settings. A URL may carry its own auth in its fragment, which never leaves this process:
 * `https://gpu2.example/api#token=abc` (bearer) or `#query_token=abc`; otherwise the shared settings apply.
 */
export function serverFromSettings(url: string, settings: { COMFYUI_TOKEN?: string | undefined; COMFYUI_QUERY_TOKEN?: string | undefined; COMFYUI_HEADERS: Record<string, string> }): ComfyServer {
  const parsed = new URL(url);
  const own = new URLSearchParams(parsed.hash.slice(1));
  parsed.hash = '';
  const auth: ServerAuth = { headers: settings.COMFYUI_HEADERS };
  const bearer = own.get('token') ?? settings.COMFYUI_TOKEN;
  const queryToken = own.get('query_token') ?? settings.COMFYUI_QUERY_TOKEN;
  if (bearer) auth.bearerToken = bearer;
  if (queryToken) auth.queryToken = queryToken;
  const label = own.get('label')?.trim();
  if (label) auth.label = label.slice(0, 40);
  return parseServer(parsed.toString(), auth);
}

/** Opens the websocket in the background (it reconnects by itself); HTTP works at once. */
export function connectComfy(server: ComfyServer, options: ConnectOptions): ComfyConnection {
  const client = new ComfyClient({ server, clientId: options.clientId, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  const socket = new ComfySocket({ server, clientId: options.clientId, ...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {}), ...(options.previews ? { previewMetadata: true } : {}) });
  const watcher = new PromptWatcher(client, socket, options);
  socket.start();
  return {
    server, client, socket, watcher,
    async close() {
      watcher.stop();
      await socket.close();
      await client.close();
    },
  };
}
