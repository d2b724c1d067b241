// Where the webhook gets its injection settings. The HTTP handler asks for the current
// settings on every request, so a reload is a swap of one reference: requests in flight
// finish with the settings they started with.
import { KubeInjectError, loadSettings } from '../inject/kube-inject.js';
import type { InjectionSettings } from '../inject/kube-inject.js';
import { scope } from '../log/index.js';
import { readSnapshot, watchFiles } from './file-watch.js';
import type { FileWatch } from './file-watch.js';

const log = scope('webhook');

export interface SettingsSource {
  current(): InjectionSettings;
}

/** Fixed settings: tests, benchmarks, and an embedding server that reloads on its own. */
export function staticSettings(settings: InjectionSettings): SettingsSource {
  return { current: () => settings };
}

export interface SettingsFiles {
  injectConfig?: string;
  meshConfig?: string;
  values?: string;
}

export interface FileSettingsOptions {
  revision?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** How often the files are checked for changes. */
  pollIntervalMs?: number;
  /** Told about every reload attempt (metrics). */
  onReload?: (ok: boolean, error?: Error) => void;
}

/**
 * Settings from the same files kube-inject reads, reloaded when they change. A new config that
 * does not load (bad YAML, a template that does not parse, an unknown ProxyConfig field) is
 * refused with a logged error, and the last good settings keep serving.
 */
export class FileSettingsSource implements SettingsSource {
  private settings: InjectionSettings;
  private watch: FileWatch | undefined;

  private constructor(
    private readonly files: SettingsFiles,
    private readonly options: FileSettingsOptions,
    initial: InjectionSettings,
  ) {
    this.settings = initial;
  }

  /** Loads the files now (throwing KubeInjectError if they do not load) and watches them. */
  static async open(files: SettingsFiles, options: FileSettingsOptions = {}): Promise<FileSettingsSource> {
    const paths = [files.injectConfig, files.meshConfig, files.values].filter((p): p is string => p !== undefined);
    const initialContents = await readSnapshot(paths);
    const source = new FileSettingsSource(files, options, loadSettings(files, options.revision ?? '', options.env ?? process.env));
    if (paths.length > 0) source.watch = watchFiles(paths, initialContents, options.pollIntervalMs ?? 1000, () => source.reload());
    return source;
  }

  current(): InjectionSettings {
    return this.settings;
  }

  /** Reads the files again; returns whether the new settings were taken. */
  reload(): boolean {
    try {
      this.settings = loadSettings(this.files, this.options.revision ?? '', this.options.env ?? process.env);
      log.info('injection config reloaded');
      this.options.onReload?.(true);
      return true;
    } catch (error) {
      const message = error instanceof KubeInjectError ? error.message : String(error);
      log.error(`injection config not reloaded, the last good config keeps serving: ${message}`);
      this.options.onReload?.(false, error as Error);
      return false;
    }
  }

  close(): void {
    this.watch?.close();
  }
}
