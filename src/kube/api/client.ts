// A small Kubernetes API client: GET (one object, or a list followed through its pages) and
// watch (a long GET whose body is newline-delimited JSON events). Only what our controllers
// use; @kubernetes/client-node is not used because its 1.x line pulls in Node 24 typings.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeConnection } from './connection.js';

/** The API server said no (or something between us and it did). */
export class KubeApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or the code of an ERROR watch event's Status; 0 when no answer came. */
    readonly status: number,
    /** The Status reason (Forbidden, NotFound, Expired, Gone…) when the server gave one. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  items: T[];
  /** The list's resourceVersion: where a watch that follows it starts. */
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface KubeClientOptions {
  /** A GET that has not answered whole within this time fails (watches are not limited by it). */
  requestTimeoutMs?: number;
  userAgent?: string;
}

const watchEventTypes = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** The message and reason of a Kubernetes Status body, if the body is one. */
function statusOf(body: string): { message?: string; reason?: string; code?: number } {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (parsed['kind'] === 'Status') {
      return {
        ...(typeof parsed['message'] === 'string' ? { message: parsed['message'] } : {}),
        ...(typeof parsed['reason'] === 'string' ? { reason: parsed['reason'] } : {}),
        ...(typeof parsed['code'] === 'number' ? { code: parsed['code'] } : {}),
      };
    }
  } catch {
    // Not JSON: a proxy's error page; the status line says enough.
  }
  return {};
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class KubeClient {
  private readonly agent: http.Agent;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;

  constructor(readonly connection: KubeConnection, options: KubeClientOptions = {}) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'outrigger';
    const tls = {
      ...(connection.ca ? { ca: connection.ca } : {}),
      ...(connection.cert ? { cert: connection.cert } : {}),
      ...(connection.key ? { key: connection.key } : {}),
      rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
      ...(connection.tlsServerName !== undefined ? { servername: connection.tlsServerName } : {}),
    };
    // Keep-alive: a relist after a watch ends reuses the connection instead of a new handshake.
    this.agent = connection.server.protocol === 'http:' ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true, ...tls });
  }

  /** The URL of an API path, under the server's own path prefix if it has one. */
  url(apiPath: string, query: Query = {}): URL {
    const base = this.connection.server.pathname.replace(/\/+$/, '');
    const url = new URL(this.connection.server.origin);
    url.pathname = `${base}${apiPath}`;
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  private open(apiPath: string, query: Query, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<IncomingMessage> {
    const url = this.url(apiPath, query);
    const token = this.connection.token?.();
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, {
        method: 'GET',
        agent: this.agent,
        headers: {
          Accept: 'application/json',
          'User-Agent': this.userAgent,
          ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}),
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (options.timeoutMs !== undefined) {
        const timeoutMs = options.timeoutMs;
        req.setTimeout(timeoutMs, () => req.destroy(new KubeApiError(`GET ${apiPath}: no answer within ${timeoutMs} ms`, 0)));
      }
      req.on('response', resolve);
      req.on('error', (error) => reject(error instanceof KubeApiError ? error : new KubeApiError(`GET ${url.pathname}: ${error.message}`, 0, (error as NodeJS.ErrnoException).code)));
      req.end();
    });
  }

  private async failure(apiPath: string, res: IncomingMessage): Promise<KubeApiError> {
    const status = statusOf(await readBody(res).catch(() => ''));
    const code = res.statusCode ?? 0;
    return new KubeApiError(`GET ${apiPath}: ${code} ${res.statusMessage ?? ''}${status.message ? `: ${status.message}` : ''}`.trim(), code, status.reason);
  }

  /** One object or one page, parsed. */
  async get<T = unknown>(apiPath: string, query: Query = {}): Promise<T> {
    const res = await this.open(apiPath, query, { timeoutMs: this.requestTimeoutMs });
    if (res.statusCode !== 200) throw await this.failure(apiPath, res);
    const body = await readBody(res);
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new KubeApiError(`GET ${apiPath}: the answer is not JSON`, res.statusCode);
    }
  }

  /**
   * Every item of a collection, following `continue` tokens page by page (`limit` per page), so
   * that a large cluster's nodes do not arrive as one huge body.
   */
  async list<T extends KubeObject = KubeObject>(apiPath: string, query: Query = {}, pageSize = 500): Promise<KubeList<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.get<{ items?: T[] | null; metadata?: { resourceVersion?: string; continue?: string } }>(apiPath, { ...query, limit: pageSize, continue: continueToken });
      items.push(...(page.items ?? []));
      // The first page's resourceVersion is the snapshot's; later pages are served from it.
      if (resourceVersion === '') resourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    return { items, resourceVersion };
  }

  /**
   * Watches a collection from a resourceVersion, calling onEvent for each event in order.
   * Resolves when the server ends the stream (its timeoutSeconds) or the signal aborts; rejects
   * on an HTTP error (a KubeApiError: 410 means the version is too old, relist), a dropped
   * connection, a line that is not an event, or no byte for idleTimeoutMs (a dead peer).
   */
  async watch<T extends KubeObject = KubeObject>(
    apiPath: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    options: { signal?: AbortSignal; idleTimeoutMs?: number; onOpen?: () => void } = {},
  ): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.open(apiPath, { ...query, watch: 1, allowWatchBookmarks: true }, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      if (options.signal?.aborted) return;
      throw error;
    }
    if (res.statusCode !== 200) throw await this.failure(apiPath, res);
    options.onOpen?.();
    if (options.idleTimeoutMs !== undefined) {
      const idleTimeoutMs = options.idleTimeoutMs;
      res.socket.setTimeout(idleTimeoutMs, () => res.destroy(new KubeApiError(`watch ${apiPath}: nothing received for ${idleTimeoutMs} ms`, 0)));
    }
    let pending = '';
    try {
      for await (const chunk of res) {
        pending += (chunk as Buffer).toString('utf8');
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line !== '') onEvent(parseEvent<T>(line, apiPath));
        }
      }
      // Some servers do not end the last event with a newline.
      if (pending.trim() !== '') onEvent(parseEvent<T>(pending.trim(), apiPath));
    } catch (error) {
      if (options.signal?.aborted) return;
      if (error instanceof KubeApiError) throw error;
      throw new KubeApiError(`watch ${apiPath}: ${(error as Error).message}`, 0, (error as NodeJS.ErrnoException).code);
    } finally {
      res.socket?.setTimeout(0);
    }
    if (!res.complete && !options.signal?.aborted) throw new KubeApiError(`watch ${apiPath}: the connection closed mid-stream`, 0);
  }

  /** Closes idle keep-alive connections; open watches end through their signals. */
  close(): void {
    this.agent.destroy();
  }
}

function parseEvent<T extends KubeObject>(line: string, apiPath: string): WatchEvent<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new KubeApiError(`watch ${apiPath}: a line that is not JSON: ${line.slice(0, 80)}`, 0);
  }
  const event = parsed as { type?: unknown; object?: unknown };
  if (typeof event.type !== 'string' || !watchEventTypes.has(event.type) || typeof event.object !== 'object' || event.object === null) {
    throw new KubeApiError(`watch ${apiPath}: not a watch event: ${line.slice(0, 80)}`, 0);
  }
  return event as WatchEvent<T>;
}
