// Injection settings from the Kubernetes API, as istiod reads them: the `config` and `values`
// keys of the istio-sidecar-injector ConfigMap and the `mesh` key of the istio ConfigMap, each
// watched (list + watch, by name) and reloaded when it changes. The rules match the file source:
// a new config that does not load is refused with a logged error and the last good one keeps
// serving. A deleted ConfigMap keeps the last good config too: deleting it by mistake (or
// during a helm upgrade that recreates it) must not change what pods get.
import { KubeInjectError, nativeSidecarsFromEnv } from '../inject/kube-inject.js';
import type { InjectionSettings } from '../inject/kube-inject.js';
import { parseInjectorConfig } from '../inject/injector-config.js';
import { applyMeshConfig, defaultMeshConfig } from '../inject/mesh.js';
import { applyValues, defaultValues } from '../inject/values.js';
import { Informer } from '../kube/api/index.js';
import type { Backoff, KubeClient, KubeObject } from '../kube/api/index.js';
import { scope } from '../log/index.js';
import type { SettingsSource } from './settings-source.js';

const log = scope('webhook');

export const DefaultInjectConfigMapName = 'istio-sidecar-injector';
export const DefaultMeshConfigMapName = 'istio';
export const DefaultIstioNamespace = 'istio-system';

/** Istio names a revision's ConfigMaps <name>-<revision>. */
export function configMapNames(revision = ''): { injectConfigMap: string; meshConfigMap: string } {
  const suffix = revision !== '' && revision !== 'default' ? `-${revision}` : '';
  return { injectConfigMap: `${DefaultInjectConfigMapName}${suffix}`, meshConfigMap: `${DefaultMeshConfigMapName}${suffix}` };
}

/** The keys the settings are made of; anything else in the ConfigMaps (labels, other keys) does not matter. */
export interface ConfigMapInputs {
  /** The injector ConfigMap's `config` key; undefined when it has none. */
  config?: string;
  /** Its `values` key. */
  values?: string;
  /** The istio ConfigMap's `mesh` key; undefined when there is no such ConfigMap or key (defaults). */
  mesh?: string;
}

export interface SettingsContext {
  namespace: string;
  injectConfigMap: string;
  meshConfigMap: string;
  revision: string;
  env: Readonly<Record<string, string | undefined>>;
  nativeSidecars: boolean;
}

type Wrap = <T>(what: string, fn: () => T) => T;

function wrapper(): Wrap {
  return (what, fn) => {
    try {
      return fn();
    } catch (error) {
      throw new KubeInjectError(`${what}: ${(error as Error).message}`);
    }
  };
}

const where = (context: SettingsContext, name: string, key: string) => `ConfigMap ${context.namespace}/${name} key "${key}"`;

/** The injector ConfigMap's two keys, parsed; a KubeInjectError names the key at fault. */
export function parseInjectorConfigMap(inputs: Pick<ConfigMapInputs, 'config' | 'values'>, context: SettingsContext): Pick<InjectionSettings, 'config' | 'values'> {
  const wrap = wrapper();
  if (inputs.config === undefined) throw new KubeInjectError(`${where(context, context.injectConfigMap, 'config')}: missing (the injection templates and policy live there)`);
  const config = wrap(where(context, context.injectConfigMap, 'config'), () => parseInjectorConfig(inputs.config!, context.env));
  const values = inputs.values !== undefined ? wrap(where(context, context.injectConfigMap, 'values'), () => applyValues(inputs.values!)) : defaultValues();
  return { config, values };
}

/** The istio ConfigMap's `mesh` key merged onto the defaults (the defaults alone when there is none). */
export function parseMeshConfigMap(mesh: string | undefined, context: SettingsContext): InjectionSettings['meshConfig'] {
  return mesh !== undefined ? wrapper()(where(context, context.meshConfigMap, 'mesh'), () => applyMeshConfig(mesh)) : defaultMeshConfig();
}

function assemble(injector: Pick<InjectionSettings, 'config' | 'values'>, meshConfig: InjectionSettings['meshConfig'], context: SettingsContext): InjectionSettings {
  // istioctl and istiod read the revision's own ConfigMap, whose values name the revision.
  const values = context.revision !== '' && !injector.values['revision'] ? { ...injector.values, revision: context.revision } : injector.values;
  return { config: injector.config, meshConfig, values, revision: context.revision, nativeSidecars: context.nativeSidecars, env: context.env };
}

/**
 * The settings the ConfigMaps' keys describe, or a KubeInjectError naming the ConfigMap and key
 * at fault. Pure: the same keys give the same settings.
 */
export function settingsFromConfigMaps(inputs: ConfigMapInputs, context: SettingsContext): InjectionSettings {
  return assemble(parseInjectorConfigMap(inputs, context), parseMeshConfigMap(inputs.mesh, context), context);
}

const sameInjector = (a: ConfigMapInputs, b: ConfigMapInputs): boolean => a.config === b.config && a.values === b.values;

function dataOf(object: KubeObject | undefined): Record<string, unknown> | undefined {
  if (!object) return undefined;
  const data = object['data'];
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}

const stringOrUndefined = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export interface KubeSettingsOptions {
  client: KubeClient;
  /** Where the ConfigMaps live (istiod's own namespace). */
  namespace?: string;
  injectConfigMap?: string;
  meshConfigMap?: string;
  revision?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** The native-sidecar decision (detectNativeSidecars); by default ENABLE_NATIVE_SIDECARS=true. */
  nativeSidecars?: boolean;
  /** Told about every reload attempt (metrics). */
  onReload?: (ok: boolean, error?: Error) => void;
  /** How long open() waits for the first answer of the API server. */
  syncTimeoutMs?: number;
  backoff?: Backoff;
  watchTimeoutSeconds?: number;
}

export class KubeSettingsSource implements SettingsSource {
  private settings!: InjectionSettings;
  /**
   * Each ConfigMap is taken or refused on its own: a broken injector config does not hold back
   * a good mesh edit, nor the other way round. The last good text and parsed form of each, and
   * the last refused text (so that a relist or a label edit of a broken one is not retried).
   */
  private goodInjector!: { inputs: ConfigMapInputs; parsed: Pick<InjectionSettings, 'config' | 'values'> };
  private goodMesh!: { text: string | undefined; parsed: InjectionSettings['meshConfig'] };
  private refusedInjector: ConfigMapInputs | undefined;
  private refusedMesh: { text: string | undefined } | undefined;
  private readonly context: SettingsContext;
  private readonly injector: Informer;
  private readonly mesh: Informer;
  private started = false;
  /** Reload attempts, taken and refused: for tests. */
  reloads = { ok: 0, failed: 0 };

  private constructor(private readonly options: KubeSettingsOptions) {
    const names = configMapNames(options.revision ?? '');
    const env = options.env ?? process.env;
    this.context = {
      namespace: options.namespace ?? DefaultIstioNamespace,
      injectConfigMap: options.injectConfigMap ?? names.injectConfigMap,
      meshConfigMap: options.meshConfigMap ?? names.meshConfigMap,
      revision: options.revision ?? '',
      env,
      nativeSidecars: options.nativeSidecars ?? nativeSidecarsFromEnv(env),
    };
    const watch = (name: string) =>
      new Informer(options.client, {
        path: `/api/v1/namespaces/${encodeURIComponent(this.context.namespace)}/configmaps`,
        // One object by name: a change to another ConfigMap in istio-system wakes nobody.
        query: { fieldSelector: `metadata.name=${name}` },
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
        onChange: () => this.changed(),
      });
    this.injector = watch(this.context.injectConfigMap);
    this.mesh = watch(this.context.meshConfigMap);
  }

  /**
   * Lists both ConfigMaps and loads the settings, throwing KubeInjectError if the API server
   * cannot be read, the injector ConfigMap is missing, or its config does not load; then keeps
   * watching them.
   */
  static async open(options: KubeSettingsOptions): Promise<KubeSettingsSource> {
    const source = new KubeSettingsSource(options);
    try {
      await source.waitForSync(options.syncTimeoutMs ?? 30_000);
      const inputs = source.inputs();
      source.goodInjector = { inputs, parsed: parseInjectorConfigMap(inputs, source.context) };
      source.goodMesh = { text: inputs.mesh, parsed: parseMeshConfigMap(inputs.mesh, source.context) };
      source.settings = assemble(source.goodInjector.parsed, source.goodMesh.parsed, source.context);
      source.started = true;
      log.info(`injection config from ConfigMap ${source.context.namespace}/${source.context.injectConfigMap}${inputs.mesh !== undefined ? ` and ${source.context.namespace}/${source.context.meshConfigMap}` : `; no ConfigMap ${source.context.namespace}/${source.context.meshConfigMap}, default mesh config`}`);
    } catch (error) {
      source.close();
      throw error;
    }
    return source;
  }

  private async waitForSync(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const last = this.injector.lastError ?? this.mesh.lastError;
        reject(new KubeInjectError(`the Kubernetes API did not answer within ${timeoutMs} ms${last ? `: ${last.message}` : ''}`));
      }, timeoutMs);
    });
    try {
      await Promise.race([Promise.all([this.injector.synced, this.mesh.synced]), timeout]);
    } catch (error) {
      if (error instanceof KubeInjectError) throw error;
      throw new KubeInjectError(`cannot read the injection ConfigMaps from the Kubernetes API: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    if (!this.injectorObject()) throw new KubeInjectError(`ConfigMap ${this.context.namespace}/${this.context.injectConfigMap} not found (install Istio's injector config, or give --injectConfigMapName)`);
  }

  private injectorObject(): KubeObject | undefined {
    return this.injector.get(`${this.context.namespace}/${this.context.injectConfigMap}`);
  }

  private meshObject(): KubeObject | undefined {
    return this.mesh.get(`${this.context.namespace}/${this.context.meshConfigMap}`);
  }

  /** The keys as the API server has them now (undefined for a ConfigMap that is not there). */
  private inputs(): ConfigMapInputs {
    const injector = dataOf(this.injectorObject());
    const mesh = dataOf(this.meshObject());
    const config = stringOrUndefined(injector?.['config']);
    const values = stringOrUndefined(injector?.['values']);
    const meshText = stringOrUndefined(mesh?.['mesh']);
    return { ...(config !== undefined ? { config } : {}), ...(values !== undefined ? { values } : {}), ...(meshText !== undefined ? { mesh: meshText } : {}) };
  }

  current(): InjectionSettings {
    return this.settings;
  }

  private changed(): void {
    if (!this.started) return;
    const now = this.inputs();
    let changed = false;
    // A ConfigMap that is gone stands for nothing: keep what it said last.
    if (!this.injectorObject()) {
      log.warn(`ConfigMap ${this.context.namespace}/${this.context.injectConfigMap} was deleted; the last good injection config keeps serving`);
    } else if (!sameInjector(now, this.goodInjector.inputs) && !(this.refusedInjector && sameInjector(now, this.refusedInjector))) {
      // (A relist, a label edit or a write of the same content is no reload.)
      try {
        this.goodInjector = { inputs: now, parsed: parseInjectorConfigMap(now, this.context) };
        this.refusedInjector = undefined;
        changed = true;
      } catch (error) {
        this.refusedInjector = now;
        this.refused(error as Error);
      }
    }
    if (!this.meshObject()) {
      if (this.goodMesh.text !== undefined) log.warn(`ConfigMap ${this.context.namespace}/${this.context.meshConfigMap} was deleted; the last good mesh config keeps serving`);
    } else if (now.mesh !== this.goodMesh.text && !(this.refusedMesh && this.refusedMesh.text === now.mesh)) {
      try {
        this.goodMesh = { text: now.mesh, parsed: parseMeshConfigMap(now.mesh, this.context) };
        this.refusedMesh = undefined;
        changed = true;
      } catch (error) {
        this.refusedMesh = { text: now.mesh };
        this.refused(error as Error);
      }
    }
    if (!changed) return;
    this.settings = assemble(this.goodInjector.parsed, this.goodMesh.parsed, this.context);
    this.reloads.ok++;
    log.info('injection config reloaded from the Kubernetes API');
    this.options.onReload?.(true);
  }

  private refused(error: Error): void {
    this.reloads.failed++;
    log.error(`injection config not reloaded, the last good config keeps serving: ${error.message}`);
    this.options.onReload?.(false, error);
  }

  close(): void {
    this.injector.close();
    this.mesh.close();
  }
}
