// List, then watch from the list's resourceVersion, keeping a local copy of the objects: the
// informer pattern, reduced to one collection and one callback. The loop's rules:
// - a watch that ends normally (the server's timeoutSeconds) is reopened from the last version
//   seen, at once: nothing was missed;
// - a dropped connection or an error is retried after a back-off that doubles up to a ceiling
//   and resets once a watch is open again, so a restarting API server is not hammered;
// - 410 Gone (as an HTTP status or as an ERROR event) means the version fell out of the
//   server's history: list again and diff, which reports what changed while we were away.
import { scope } from '../../log/index.js';
import { KubeApiError } from './client.js';
import type { KubeClient, KubeObject, Query, WatchEvent } from './client.js';

const log = scope('kube');

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: Backoff = { initialMs: 500, maxMs: 30_000 };

export type InformerChange = 'sync' | 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerOptions {
  /** The collection, e.g. /api/v1/namespaces/istio-system/configmaps. */
  path: string;
  /** Selectors (fieldSelector=metadata.name=istio, labelSelector=…). */
  query?: Query;
  backoff?: Backoff;
  /** Asked of the server per watch, so that connections are renewed now and then. */
  watchTimeoutSeconds?: number;
  /** Called with the whole current set after the initial list, every relist, and every event. */
  onChange: (objects: ReadonlyMap<string, KubeObject>, change: InformerChange, object?: KubeObject) => void;
}

export const objectKey = (object: KubeObject): string => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

/** 4xx answers that retrying cannot fix: a wrong path, no permission, a bad selector. */
export function isPermanent(error: unknown): boolean {
  return error instanceof KubeApiError && error.status >= 400 && error.status < 500 && error.status !== 410 && error.status !== 429 && error.status !== 408;
}

const isGone = (error: unknown): boolean => error instanceof KubeApiError && (error.status === 410 || error.reason === 'Expired' || error.reason === 'Gone');

export class Informer {
  /** Resolves after the first list; rejects if that list fails for a reason retrying cannot fix. */
  readonly synced: Promise<void>;
  private readonly objects = new Map<string, KubeObject>();
  private readonly abort = new AbortController();
  private resourceVersion: string | undefined;
  private delayMs: number;
  private wakeUp: (() => void) | undefined;
  private resolveSynced!: () => void;
  private rejectSynced!: (error: Error) => void;
  private hasSynced = false;
  /** Relists so far, and watch reconnects after an error: for tests and metrics. */
  relists = 0;
  reconnects = 0;
  /** The last error met, for a caller that gives up waiting and must say why. */
  lastError: Error | undefined;

  constructor(private readonly client: KubeClient, private readonly options: InformerOptions) {
    this.delayMs = (options.backoff ?? defaultBackoff).initialMs;
    this.synced = new Promise((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Callers that never await synced must not see an unhandled rejection.
    this.synced.catch(() => undefined);
    void this.run();
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  list(): KubeObject[] {
    return [...this.objects.values()];
  }

  close(): void {
    this.abort.abort();
    this.wakeUp?.();
  }

  private get closed(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        if (this.closed) break;
        const watchStarted = Date.now();
        await this.client.watch(
          this.options.path,
          { ...this.options.query, resourceVersion: this.resourceVersion, timeoutSeconds: this.options.watchTimeoutSeconds ?? randomWatchTimeout() },
          (event) => this.apply(event),
          { signal: this.abort.signal, idleTimeoutMs: ((this.options.watchTimeoutSeconds ?? 600) + 60) * 1000, onOpen: () => (this.delayMs = (this.options.backoff ?? defaultBackoff).initialMs) },
        );
        // A server (or a proxy in front of it) that ends every watch at once would otherwise
        // have us spin; a watch that lived a second or more is reopened at once.
        if (!this.closed && Date.now() - watchStarted < 1000) await this.sleep((this.options.backoff ?? defaultBackoff).initialMs);
      } catch (error) {
        if (this.closed) break;
        this.lastError = error as Error;
        if (isGone(error)) {
          log.info(`watch ${this.options.path}: resource version ${this.resourceVersion ?? ''} is too old, listing again`);
          this.resourceVersion = undefined;
          continue;
        }
        if (!this.hasSynced && isPermanent(error)) {
          this.rejectSynced(error as Error);
          this.close();
          break;
        }
        this.reconnects++;
        log.warn(`${this.options.path}: ${(error as Error).message}; retrying in ${this.delayMs} ms`);
        await this.sleep(this.delayMs);
        this.delayMs = Math.min(this.delayMs * 2, (this.options.backoff ?? defaultBackoff).maxMs);
      }
    }
  }

  private async relist(): Promise<void> {
    const list = await this.client.list(this.options.path, this.options.query ?? {});
    if (this.closed) return;
    if (this.hasSynced) this.relists++;
    this.objects.clear();
    for (const item of list.items) this.objects.set(objectKey(item), item);
    this.resourceVersion = list.resourceVersion;
    this.options.onChange(this.objects, 'sync');
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.resolveSynced();
    }
  }

  private apply(event: WatchEvent): void {
    if (this.closed) return;
    if (event.type === 'ERROR') {
      const status = event.object as { code?: unknown; reason?: unknown; message?: unknown };
      throw new KubeApiError(`watch ${this.options.path}: ${typeof status.message === 'string' ? status.message : 'error event'}`, typeof status.code === 'number' ? status.code : 0, typeof status.reason === 'string' ? status.reason : undefined);
    }
    const version = event.object.metadata?.resourceVersion;
    if (version !== undefined && version !== '') this.resourceVersion = version;
    // A bookmark only moves the version forward, so a reconnect does not replay old history.
    if (event.type === 'BOOKMARK') return;
    const key = objectKey(event.object);
    if (event.type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, event.object);
    this.options.onChange(this.objects, event.type, event.object);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

/** 5 to 10 minutes, as client-go spreads its watches, so that many clients do not reconnect in step. */
function randomWatchTimeout(): number {
  return 300 + Math.floor(Math.random() * 300);
}
