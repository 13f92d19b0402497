/** Where one ComfyUI server lives and how to authenticate to it (reverse proxies add auth ComfyUI lacks). */
export interface ComfyServer {
  /** Base URL with any path prefix (`https://gpu.example/api`), credentials removed. */
  readonly baseUrl: string;
  /** Headers sent on every HTTP request and on the websocket handshake (auth lives here). */
  readonly headers: Readonly<Record<string, string>>;
  /** ComfyUI-Login style `?token=` appended to every URL. */
  readonly queryToken?: string;
  /** What members see instead of the host and path (`#label=` in COMFYUI_URL). */
  readonly label?: string;
}

export interface ServerAuth {
  bearerToken?: string;
  queryToken?: string;
  headers?: Record<string, string>;
  label?: string;
}

/** Parses `http(s)://[user:pass@]host[:port][/prefix]`; userinfo becomes Basic auth and is kept out of the URL. */
export function parseServer(rawUrl: string, auth: ServerAuth = {}): ComfyServer {
  const url = new URL(rawUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`ComfyUI URL must start with http:// or https://, got ${url.protocol}`);
  }
  const headers: Record<string, string> = { ...(auth.headers ?? {}) };
  if (url.username || url.password) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  if (auth.bearerToken) headers['authorization'] = `Bearer ${auth.bearerToken}`;
  const baseUrl = url.toString().replace(/\/+$/, '');
  return { baseUrl, headers, ...(auth.queryToken ? { queryToken: auth.queryToken } : {}), ...(auth.label ? { label: auth.label } : {}) };
}

export function httpUrl(server: ComfyServer, path: string, query: Record<string, string> = {}): string {
  const url = new URL(server.baseUrl + path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  if (server.queryToken) url.searchParams.set('token', server.queryToken);
  return url.toString();
}

export function wsUrl(server: ComfyServer, clientId: string): string {
  const url = new URL(httpUrl(server, '/ws', { clientId }));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
