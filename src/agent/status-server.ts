// The agent's status port (15020) and readiness port (15021), as pilot-agent
// serves them: /healthz/ready (the proxy has its configuration), /app-health/…
// (the app's own probes, run from inside the pod), /stats/prometheus (the proxy's
// and the app's metrics merged, so one scrape sees both), /quitquitquit.
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { runProber } from './app-probers.js';
import type { Prober } from './app-probers.js';

export interface AppMetrics {
  port: string;
  path: string;
}

export interface StatusServerOptions {
  host?: string;
  statusPort: number;
  readinessPort?: number;
  /** Where the app listens: the pod's address (the agent's traffic is not captured). */
  appHost: string;
  probers: Map<string, Prober>;
  proxyReady: () => Promise<boolean> | boolean;
  proxyStats?: () => Promise<string>;
  /** From ISTIO_PROMETHEUS_ANNOTATIONS: where the app's own metrics are. */
  appMetrics?: AppMetrics;
  onQuit?: () => void;
}

export interface StatusServer {
  statusPort: number;
  readinessPort: number | undefined;
  close(): Promise<void>;
}

/** ISTIO_PROMETHEUS_ANNOTATIONS → where to scrape the app, if it asked to be scraped. */
export function parsePrometheusAnnotations(text: string | undefined): AppMetrics | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { scrape?: string; port?: string; path?: string };
    if (parsed.scrape === 'false' || !parsed.port) return undefined;
    return { port: parsed.port, path: parsed.path || '/metrics' };
  } catch {
    return undefined;
  }
}

async function fetchText(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const host = options.host ?? '0.0.0.0';
  const ready = async (res: http.ServerResponse) => {
    let isReady = false;
    try {
      isReady = await options.proxyReady();
    } catch {
      isReady = false;
    }
    res.statusCode = isReady ? 200 : 503;
    res.end(isReady ? '' : 'the proxy is not ready\n');
  };

  const status = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/healthz/ready') return ready(res);
      const prober = options.probers.get(url.pathname);
      if (prober) {
        const result = await runProber(prober, options.appHost);
        res.statusCode = result.ok ? 200 : 500;
        res.end(result.ok ? '' : `probe ${url.pathname} failed: ${result.detail}\n`);
        return;
      }
      if (url.pathname.startsWith('/app-health/') || url.pathname.startsWith('/app-lifecycle/')) {
        res.statusCode = 404;
        res.end(`no prober registered for ${url.pathname}\n`);
        return;
      }
      if (url.pathname === '/stats/prometheus') {
        const parts: string[] = [];
        const proxy = options.proxyStats ? await options.proxyStats().catch(() => undefined) : undefined;
        if (proxy) parts.push(proxy.trimEnd());
        if (options.appMetrics) {
          const app = await fetchText(`http://${options.appHost.includes(':') ? `[${options.appHost}]` : options.appHost}:${options.appMetrics.port}${options.appMetrics.path}`);
          // An app that does not answer must not hide the proxy's metrics.
          parts.push(app !== undefined ? app.trimEnd() : '# the application metrics endpoint did not answer');
        }
        res.setHeader('content-type', 'text/plain; version=0.0.4');
        res.end(`${parts.join('\n')}\n`);
        return;
      }
      if (url.pathname === '/quitquitquit' && req.method === 'POST') {
        res.end('OK\n');
        options.onQuit?.();
        return;
      }
      res.statusCode = 404;
      res.end('not found\n');
    })().catch(() => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  status.listen(options.statusPort, host);
  await once(status, 'listening');

  let readiness: http.Server | undefined;
  if (options.readinessPort !== undefined) {
    readiness = http.createServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://localhost').pathname === '/healthz/ready') void ready(res);
      else {
        res.statusCode = 404;
        res.end('not found\n');
      }
    });
    readiness.listen(options.readinessPort, host);
    await once(readiness, 'listening');
  }
  return {
    statusPort: (status.address() as AddressInfo).port,
    readinessPort: readiness ? (readiness.address() as AddressInfo).port : undefined,
    close: async () => {
      await new Promise<void>((resolve) => status.close(() => resolve()));
      if (readiness) await new Promise<void>((resolve) => readiness!.close(() => resolve()));
    },
  };
}
