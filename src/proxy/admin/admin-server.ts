// Envoy's admin API on admin.address (15000 in the mesh, loopback only): one
// table of endpoints, each a small function of the running server. Mutating
// endpoints need POST, as in Envoy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject } from '../config/proto-json.js';
import type { ListenerRuntime } from '../listener.js';
import { renderPrometheus, renderStatsJson, renderStatsText } from '../stats.js';
import type { Stat } from '../stats.js';
import { renderClustersJson, renderClustersText } from './clusters.js';
import type { ClusterStatus } from './clusters.js';
import { ConfigDumpQueryError, filterConfigDump } from './config-dump.js';
import { renderListenersJson, renderListenersText } from './listeners.js';

export type ServerState = 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING' | 'INITIALIZING';

/** What the admin API reads and controls; the proxy server implements it. */
export interface AdminTarget {
  state(): ServerState;
  serverInfo(): object;
  listeners(): readonly ListenerRuntime[];
  /** Clusters with their hosts' counters, over every worker. */
  clusterStatuses(): Promise<readonly ClusterStatus[]>;
  configDump(): JsonObject;
  /** Every stat, sorted by name, summed over every worker, with computed gauges (uptime) up to date. */
  statsSnapshot(): Promise<readonly Stat[]>;
  failHealthcheck(fail: boolean): void;
  drainListeners(): Promise<void>;
  quit(): void;
  setLogLevel(level: string): void;
}

interface Reply {
  status?: number;
  type?: string;
  body: string;
}

type Handler = (target: AdminTarget, query: URLSearchParams) => Reply | Promise<Reply>;

const json = (value: unknown): Reply => ({ type: 'application/json', body: `${JSON.stringify(value, null, 2)}\n` });
const text = (body: string, status = 200): Reply => ({ status, type: 'text/plain; charset=UTF-8', body });

function statsFilter(query: URLSearchParams): RegExp | undefined {
  const filter = query.get('filter');
  return filter === null || filter === '' ? undefined : new RegExp(filter);
}

interface Endpoint {
  help: string;
  mutates: boolean;
  handler: Handler;
}

const endpoints: Record<string, Endpoint> = {
  '/ready': {
    help: 'print server state, return 200 if LIVE, otherwise return 503',
    mutates: false,
    handler: (t) => text(`${t.state()}\n`, t.state() === 'LIVE' ? 200 : 503),
  },
  '/server_info': { help: 'print server version/status information', mutates: false, handler: (t) => json(t.serverInfo()) },
  '/listeners': {
    help: 'print listener info (?format=json)',
    mutates: false,
    handler: (t, q) => (q.get('format') === 'json' ? json(renderListenersJson(t.listeners())) : text(renderListenersText(t.listeners()))),
  },
  '/clusters': {
    help: 'upstream cluster status (?format=json)',
    mutates: false,
    handler: async (t, q) => {
      const clusters = await t.clusterStatuses();
      return q.get('format') === 'json' ? json(renderClustersJson(clusters)) : text(renderClustersText(clusters));
    },
  },
  '/config_dump': {
    help: 'dump current Envoy configs (?resource=, ?mask=)',
    mutates: false,
    handler: (t, q) => {
      try {
        return json(filterConfigDump(t.configDump(), q.get('resource') ?? undefined, q.get('mask') ?? undefined));
      } catch (error) {
        if (error instanceof ConfigDumpQueryError) return text(`${error.message}\n`, 404);
        throw error;
      }
    },
  },
  '/stats': {
    help: 'print server stats (?format=json|prometheus, ?filter=regex, ?usedonly)',
    mutates: false,
    handler: async (t, q) => {
      const stats = await t.statsSnapshot();
      const usedOnly = q.has('usedonly');
      const format = q.get('format');
      if (format === 'prometheus') return text(renderPrometheus(stats, usedOnly));
      if (format === 'json') return json(renderStatsJson(stats, statsFilter(q), usedOnly));
      return text(renderStatsText(stats, statsFilter(q), usedOnly));
    },
  },
  '/stats/prometheus': {
    help: 'print server stats in prometheus format',
    mutates: false,
    handler: async (t, q) => ({ type: 'text/plain; version=0.0.4; charset=UTF-8', body: renderPrometheus(await t.statsSnapshot(), q.has('usedonly')) }),
  },
  '/healthcheck/fail': { help: 'cause the server to fail health checks', mutates: true, handler: (t) => (t.failHealthcheck(true), text('OK\n')) },
  '/healthcheck/ok': { help: 'cause the server to pass health checks', mutates: true, handler: (t) => (t.failHealthcheck(false), text('OK\n')) },
  '/drain_listeners': {
    help: 'drain listeners: stop accepting new connections',
    mutates: true,
    handler: async (t) => {
      await t.drainListeners();
      return text('OK\n');
    },
  },
  '/quitquitquit': { help: 'exit the server', mutates: true, handler: (t) => (setImmediate(() => t.quit()), text('OK\n')) },
  '/logging': {
    help: 'change the log level (?level=debug|info|warning|error|off)',
    mutates: true,
    handler: (t, q) => {
      const level = q.get('level');
      if (level === null) return text('usage: /logging?level=<level>\n', 404);
      try {
        t.setLogLevel(level);
      } catch (error) {
        return text(`${(error as Error).message}\n`, 404);
      }
      return text(`active loggers:\n  proxy: ${level}\n`);
    },
  },
};

function helpText(): string {
  return `admin commands are:\n${Object.entries(endpoints).map(([path, e]) => `  ${path}: ${e.help}\n`).join('')}`;
}

export class AdminServer {
  private server: http.Server | undefined;

  constructor(private readonly target: AdminTarget) {}

  listen(host: string, port: number): Promise<AddressInfo> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.removeListener('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    let reply: Reply;
    const endpoint = endpoints[url.pathname];
    try {
      if (url.pathname === '/' || url.pathname === '/help') reply = text(helpText());
      else if (!endpoint) reply = text(`invalid path. ${helpText()}`, 404);
      else if (endpoint.mutates && req.method !== 'POST') reply = text('This endpoint requires POST\n', 405);
      else reply = await endpoint.handler(this.target, url.searchParams);
    } catch (error) {
      reply = text(`${(error as Error).message}\n`, 500);
    }
    res.writeHead(reply.status ?? 200, { 'content-type': reply.type ?? 'text/plain', 'cache-control': 'no-cache, max-age=0', 'x-content-type-options': 'nosniff' });
    res.end(reply.body);
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
