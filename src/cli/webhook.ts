// `outrigger webhook`: the sidecar injector as a MutatingAdmissionWebhook over HTTPS, plus
// `install-config` (its MutatingWebhookConfiguration) and `certs` (a CA and serving certificate).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { KubeInjectError } from '../inject/kube-inject.js';
import { stringifyYaml } from '../kube/index.js';
import {
  CertificateError,
  CertificateOptionsError,
  createCertificateAuthority,
  DefaultWebhookPort,
  ReviewCache,
  FileSettingsSource,
  InstallConfigError,
  issueServingCertificate,
  loadCertificateAuthority,
  mutatingWebhookConfiguration,
  startWebhookServer,
  webhookDnsNames,
  WebhookMetrics,
} from '../webhook/index.js';
import type { FailurePolicy, ReinvocationPolicy, SettingsSource } from '../webhook/index.js';
import { defaultConnection, KubeClient, KubeConfigError } from '../kube/api/index.js';
import type { KubeConnection } from '../kube/api/index.js';
import { scope } from '../log/index.js';
import { configMapNames, DefaultIstioNamespace, KubeSettingsSource } from '../webhook/kube-settings-source.js';
import { NativeSidecarsDetector, nativeSidecarsMode, NativeSidecarsError, withNativeSidecars } from '../webhook/native-sidecars.js';
import { UsageError } from './errors.js';

interface ServeOptions {
  port: string;
  host?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  injectConfigFile?: string;
  meshConfigFile?: string;
  valuesFile?: string;
  revision: string;
  maxBodyBytes?: string;
  requestTimeout: string;
  pollInterval: string;
  cacheSize: string;
  configSource: 'auto' | 'files' | 'kubernetes';
  kubeconfig?: string;
  context?: string;
  injectConfigMapName?: string;
  meshConfigMapName?: string;
  istioNamespace: string;
}

const log = scope('webhook');

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new UsageError(`invalid value "${value}" for ${flag}: an integer from ${min} to ${max}`);
  return n;
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

async function serve(opts: ServeOptions): Promise<void> {
  if (!opts.tlsCertFile || !opts.tlsKeyFile) throw new UsageError('--tlsCertFile and --tlsKeyFile are required: the API server calls webhooks over HTTPS only (see `outrigger webhook certs`)');
  const port = integer(opts.port, '--port', 0, 65535);
  const pollIntervalMs = integer(opts.pollInterval, '--pollInterval', 10, 3_600_000);
  const metrics = new WebhookMetrics();
  const env = process.env;
  const fileFlags = [opts.injectConfigFile, opts.meshConfigFile, opts.valuesFile].some((f) => f !== undefined);
  if (opts.configSource === 'kubernetes' && fileFlags) throw new UsageError('--configSource kubernetes reads the ConfigMaps: do not give --injectConfigFile, --meshConfigFile or --valuesFile too');
  let nativeMode;
  try {
    nativeMode = nativeSidecarsMode(env);
  } catch (error) {
    if (error instanceof NativeSidecarsError) throw new UsageError(error.message);
    throw error;
  }
  // The API is needed for the ConfigMaps (asked for, or no files given) and for ENABLE_NATIVE_SIDECARS=auto.
  const wantsApi = opts.configSource === 'kubernetes' || (opts.configSource === 'auto' && !fileFlags) || nativeMode === 'auto';
  let connection: KubeConnection | undefined;
  if (wantsApi) {
    try {
      connection = defaultConnection({ ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}), ...(opts.context !== undefined ? { context: opts.context } : {}), env });
    } catch (error) {
      if (error instanceof KubeConfigError) throw new UsageError(`${opts.kubeconfig !== undefined ? '--kubeconfig: ' : ''}${error.message}`);
      throw error;
    }
  }
  if (opts.configSource === 'kubernetes' && !connection) throw new UsageError('--configSource kubernetes: no Kubernetes API to read: give --kubeconfig, set KUBECONFIG, or run in a pod');
  const client = connection ? new KubeClient(connection, { userAgent: 'outrigger-webhook' }) : undefined;
  const useApi = client !== undefined && (opts.configSource === 'kubernetes' || (opts.configSource === 'auto' && !fileFlags));
  const onReload = (ok: boolean) => metrics.recordReload('config', ok);
  let settings: SettingsSource & { close(): void };
  let native: NativeSidecarsDetector | undefined;
  try {
    native = nativeMode === 'auto' ? await NativeSidecarsDetector.start(env, client) : undefined;
    let source: SettingsSource & { close(): void };
    if (useApi) {
      const names = configMapNames(opts.revision);
      source = await KubeSettingsSource.open({
        client: client!,
        namespace: opts.istioNamespace,
        injectConfigMap: opts.injectConfigMapName ?? names.injectConfigMap,
        meshConfigMap: opts.meshConfigMapName ?? names.meshConfigMap,
        revision: opts.revision,
        env,
        onReload,
      });
    } else {
      if (!fileFlags) log.debug('no config files and no Kubernetes API: Outrigger\'s default injection config');
      source = await FileSettingsSource.open(
        { injectConfig: opts.injectConfigFile, meshConfig: opts.meshConfigFile, values: opts.valuesFile },
        { revision: opts.revision, env, pollIntervalMs, onReload },
      );
    }
    // auto: every request reads the detector's current decision (nodes are listed again every 10 minutes).
    const detector = native;
    settings = detector ? { ...withNativeSidecars(source, () => detector.enabled), close: () => source.close() } : source;
  } catch (error) {
    native?.close();
    client?.close();
    // auto chose the API because one was found ($KUBECONFIG, a pod): say how to opt out.
    const hint = useApi && opts.configSource === 'auto' ? ` (the Kubernetes API was chosen because ${opts.kubeconfig !== undefined ? '--kubeconfig was given' : env['KUBECONFIG'] ? '$KUBECONFIG is set' : 'this runs in a pod'}; --configSource files serves the files or Outrigger's defaults instead)` : '';
    if (error instanceof KubeInjectError) throw new UsageError(`${error.message}${hint}`);
    throw error;
  }
  let server;
  try {
    server = await startWebhookServer({
      settings,
      metrics,
      port,
      ...(opts.host !== undefined ? { host: opts.host } : {}),
      certFile: opts.tlsCertFile,
      keyFile: opts.tlsKeyFile,
      ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: integer(opts.maxBodyBytes, '--maxBodyBytes', 1024, 64 * 1024 * 1024) } : {}),
      requestTimeoutMs: integer(opts.requestTimeout, '--requestTimeout', 100, 600_000),
      cache: new ReviewCache(integer(opts.cacheSize, '--cacheSize', 0, 1_000_000)),
      certificatePollIntervalMs: pollIntervalMs,
    });
  } catch (error) {
    settings.close();
    native?.close();
    client?.close();
    if (error instanceof CertificateError) throw new UsageError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' || (error as NodeJS.ErrnoException).code === 'EACCES') throw new UsageError(`--port ${port}: ${(error as Error).message}`);
    throw error;
  }
  // Until SIGTERM (Kubernetes' stop) or SIGINT: finish what is in flight, then exit.
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      settings.close();
      native?.close();
      client?.close();
      void server.close().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

interface InstallConfigCliOptions {
  namespace: string;
  revision: string;
  caBundleFile?: string;
  failurePolicy: string;
  reinvocationPolicy: string;
  timeoutSeconds: string;
  serviceName?: string;
  path?: string;
  cluster?: string;
  network?: string;
  url?: string;
  defaultRevision?: boolean;
}

function installConfigCommand(): Command {
  return new Command('install-config')
    .description("Print the MutatingWebhookConfiguration that sends pod CREATEs to the injector, as Istio installs it")
    .option('-n, --namespace <namespace>', 'namespace of the injector\'s Service', 'istio-system')
    .option('-r, --revision <revision>', 'control plane revision (its istio.io/rev value)', '')
    .option('--caBundleFile <file>', 'PEM file of the CA that signed the serving certificate (ca.crt from `outrigger webhook certs`)')
    .addOption(new Option('--failurePolicy <policy>', 'what the API server does when the injector cannot be reached').choices(['Fail', 'Ignore']).default('Fail'))
    .addOption(new Option('--reinvocationPolicy <policy>', 'call the injector again after other webhooks changed the pod').choices(['Never', 'IfNeeded']).default('Never'))
    .option('--timeoutSeconds <seconds>', 'how long the API server waits for the injector (1-30)', '10')
    .option('--serviceName <name>', 'the injector\'s Service (default istiod, or istiod-<revision>)')
    .option('--path <path>', 'request path', undefined)
    .option('--cluster <id>', 'cluster ID for the proxies: the path becomes /inject/cluster/<id>/net/<network>')
    .option('--network <name>', 'network for the proxies (with --cluster)')
    .option('--url <url>', 'an injector outside the cluster: https://host:15017/inject (instead of a Service)')
    .option('--defaultRevision', 'also add the istio-injection=enabled and sidecar.istio.io/inject=true entries (default for the default revision)')
    .action((opts: InstallConfigCliOptions) => {
      if ((opts.cluster !== undefined || opts.network !== undefined) && opts.path !== undefined) throw new UsageError('--cluster/--network build the path; do not give --path too');
      const injectPath = opts.cluster !== undefined || opts.network !== undefined
        ? `/inject${opts.cluster !== undefined ? `/cluster/${opts.cluster.replaceAll('/', '--slash--')}` : ''}${opts.network !== undefined ? `/net/${opts.network.replaceAll('/', '--slash--')}` : ''}`
        : opts.path;
      const caBundle = opts.caBundleFile !== undefined ? readText(opts.caBundleFile, '--caBundleFile') : '';
      if (caBundle !== '' && !caBundle.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--caBundleFile ${opts.caBundleFile}: not a PEM certificate`);
      try {
        const config = mutatingWebhookConfiguration({
          namespace: opts.namespace,
          revision: opts.revision,
          caBundle: Buffer.from(caBundle).toString('base64'),
          failurePolicy: opts.failurePolicy as FailurePolicy,
          reinvocationPolicy: opts.reinvocationPolicy as ReinvocationPolicy,
          timeoutSeconds: integer(opts.timeoutSeconds, '--timeoutSeconds', 1, 30),
          ...(opts.serviceName !== undefined ? { serviceName: opts.serviceName } : {}),
          ...(injectPath !== undefined ? { path: injectPath } : {}),
          ...(opts.url !== undefined ? { url: injectPath !== undefined ? `${opts.url.replace(/\/inject.*$/, '').replace(/\/$/, '')}${injectPath}` : opts.url } : {}),
          ...(opts.defaultRevision ? { defaultRevision: true } : {}),
        });
        process.stdout.write(stringifyYaml(config));
      } catch (error) {
        if (error instanceof InstallConfigError) throw new UsageError(error.message);
        throw error;
      }
    });
}

interface CertsOptions {
  outDir: string;
  namespace: string;
  revision: string;
  dnsName: string[];
  ipAddress: string[];
  days: string;
  caCertFile?: string;
  caKeyFile?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function certsCommand(): Command {
  return new Command('certs')
    .description('Create a CA and a serving certificate for the injector (for clusters without cert-manager)')
    .requiredOption('-o, --outDir <dir>', 'where to write ca.crt, ca.key, tls.crt and tls.key')
    .option('-n, --namespace <namespace>', 'namespace of the injector\'s Service', 'istio-system')
    .option('-r, --revision <revision>', 'control plane revision (adds istiod-<revision>.<namespace>.svc)', '')
    .option('--dnsName <name>', 'another DNS name for the certificate (repeatable)', collect, [])
    .option('--ipAddress <ip>', 'an IP address for the certificate, for an injector called by --url (repeatable)', collect, [])
    .option('--days <days>', 'validity of the serving certificate in days', '365')
    .option('--caCertFile <file>', 'sign with this CA (PEM) instead of creating one; needs --caKeyFile')
    .option('--caKeyFile <file>', 'the CA\'s private key (PKCS#8 PEM)')
    .addHelpText('after', `
Then:
  kubectl -n istio-system create secret tls istiod-webhook-tls --cert=<dir>/tls.crt --key=<dir>/tls.key
  outrigger webhook install-config --caBundleFile <dir>/ca.crt | kubectl apply -f -`)
    .action(async (opts: CertsOptions) => {
      if ((opts.caCertFile === undefined) !== (opts.caKeyFile === undefined)) throw new UsageError('--caCertFile and --caKeyFile go together');
      const days = integer(opts.days, '--days', 1, 36500);
      try {
        const ca = opts.caCertFile !== undefined
          ? await loadCertificateAuthority({ cert: readText(opts.caCertFile, '--caCertFile'), key: readText(opts.caKeyFile!, '--caKeyFile') })
          : await createCertificateAuthority();
        const dnsNames = [...webhookDnsNames(opts.namespace, opts.revision), ...opts.dnsName];
        const serving = await issueServingCertificate(ca, { dnsNames, ipAddresses: opts.ipAddress, days });
        mkdirSync(opts.outDir, { recursive: true });
        const write = (name: string, content: string, mode: number) => {
          writeFileSync(path.join(opts.outDir, name), content, { mode });
          process.stdout.write(`wrote ${path.join(opts.outDir, name)}\n`);
        };
        write('ca.crt', ca.cert, 0o644);
        if (opts.caCertFile === undefined) write('ca.key', ca.key, 0o600);
        write('tls.crt', serving.cert, 0o644);
        write('tls.key', serving.key, 0o600);
        process.stdout.write(`serving certificate for ${[...dnsNames, ...opts.ipAddress].join(', ')}, valid ${days} days\n`);
      } catch (error) {
        if (error instanceof CertificateOptionsError) throw new UsageError(error.message);
        if (error instanceof UsageError) throw error;
        if (opts.caCertFile !== undefined) throw new UsageError(`--caCertFile/--caKeyFile: cannot use this CA: ${(error as Error).message}`);
        throw error;
      }
    });
}

function serveCommand(): Command {
  return new Command('serve')
    .description('Serve automatic sidecar injection as a MutatingAdmissionWebhook over HTTPS (POST /inject), as istiod does on 15017 (the default)')
    .option('-p, --port <port>', 'HTTPS port', String(DefaultWebhookPort))
    .option('--host <address>', 'address to listen on (default: all)')
    .option('--tlsCertFile <file>', 'serving certificate (PEM), reloaded when it changes')
    .option('--tlsKeyFile <file>', 'serving key (PEM), reloaded when it changes')
    .option('--injectConfigFile <file>', 'injection config: the "config" key of an istio-sidecar-injector ConfigMap (or the whole ConfigMap); reloaded on change')
    .option('--meshConfigFile <file>', 'mesh config: the "mesh" key of the istio ConfigMap (or the whole ConfigMap); reloaded on change')
    .option('--valuesFile <file>', 'injection values: the "values" key of an istio-sidecar-injector ConfigMap (or the whole ConfigMap); reloaded on change')
    .option('-r, --revision <revision>', 'control plane revision', '')
    .addOption(new Option('--configSource <source>', 'where the injection config comes from: the files above, the ConfigMaps through the Kubernetes API, or auto (the files when any is given, else the API when there is one, else the defaults)').choices(['auto', 'files', 'kubernetes']).default('auto'))
    .option('--kubeconfig <file>', 'the Kubernetes API to read the ConfigMaps (and nodes) from (default: $KUBECONFIG, else the pod\'s service account)')
    .option('--context <name>', 'the kubeconfig context to use (default: its current-context)')
    .option('--injectConfigMapName <name>', 'the injector ConfigMap, with the "config" and "values" keys (default istio-sidecar-injector, or istio-sidecar-injector-<revision>)')
    .option('--meshConfigMapName <name>', 'the mesh ConfigMap, with the "mesh" key (default istio, or istio-<revision>)')
    .option('--istioNamespace <namespace>', 'the namespace of both ConfigMaps', DefaultIstioNamespace)
    .option('--maxBodyBytes <bytes>', 'largest AdmissionReview accepted (413 above)')
    .option('--requestTimeout <ms>', 'a request must arrive whole within this time (408 after)', '10000')
    .option('--pollInterval <ms>', 'how often the certificate and config files are checked for changes', '1000')
    .option('--cacheSize <entries>', 'answers kept for identical requests (the pods of one ReplicaSet); 0 turns the cache off', '512')
    .addHelpText('after', `
Paths: POST /inject and /inject/cluster/<cluster>/net/<network> (AdmissionReview v1 or v1beta1),
GET /healthz, GET /metrics (Prometheus).

Examples:
  outrigger webhook certs -o /tmp/webhook-certs --ipAddress 127.0.0.1
  outrigger webhook --tlsCertFile /tmp/webhook-certs/tls.crt --tlsKeyFile /tmp/webhook-certs/tls.key
  outrigger webhook install-config --caBundleFile /tmp/webhook-certs/ca.crt | kubectl apply -f -

  outrigger webhook --kubeconfig ~/.kube/config --tlsCertFile … --tlsKeyFile …   # config from the ConfigMaps

Environment: ENABLE_NATIVE_SIDECARS=true injects istio-proxy as a native sidecar; auto does when
every node's kubelet is v1.29 or later (it lists the nodes at start and every 10 minutes); false (the
default) never.`)
    .action((opts: ServeOptions) => serve(opts));
}

export function webhookCommand(): Command {
  // `outrigger webhook --tlsCertFile …` serves: serve is the default subcommand. The flags live on
  // the subcommands, not here, so that -r/--revision reaches install-config and certs too.
  const command = new Command('webhook').description('The sidecar injector as a MutatingAdmissionWebhook: serve it (default), install it, make its certificates');
  command.addCommand(serveCommand(), { isDefault: true });
  command.addCommand(installConfigCommand());
  command.addCommand(certsCommand());
  for (const sub of command.commands) sub.exitOverride().showHelpAfterError('(add --help for usage)');
  return command;
}
