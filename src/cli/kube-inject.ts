// `outrigger kube-inject`: istioctl kube-inject's flags, Outrigger's injector.
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { KubeInjectError, kubeInject, loadSettings } from '../inject/kube-inject.js';
import { YamlDocumentError } from '../kube/index.js';
import { UsageError } from './errors.js';

interface KubeInjectOptions {
  filename?: string;
  output?: string;
  injectConfigFile?: string;
  meshConfigFile?: string;
  valuesFile?: string;
  injectConfigMapName?: string;
  meshConfigMapName?: string;
  webhookConfig?: string;
  revision?: string;
  istioNamespace?: string;
  kubeconfig?: string;
  context?: string;
}

export function kubeInjectCommand(): Command {
  return new Command('kube-inject')
    .description('Inject the Istio sidecar into Kubernetes workloads, as istioctl kube-inject does')
    .option('-f, --filename <file>', 'input Kubernetes resource file, or - for standard input')
    .option('-o, --output <file>', 'write the result to this file instead of standard output')
    .option('--injectConfigFile <file>', 'injection config: the "config" key of an istio-sidecar-injector ConfigMap (or the whole ConfigMap); default: Outrigger\'s own template')
    .option('--meshConfigFile <file>', 'mesh config: the "mesh" key of the istio ConfigMap (or the whole ConfigMap); default: Istio\'s defaults')
    .option('--valuesFile <file>', 'injection values: the "values" key of an istio-sidecar-injector ConfigMap (or the whole ConfigMap)')
    .option('-r, --revision <revision>', 'control plane revision', '')
    .addOption(new Option('--injectConfigMapName <name>', 'ConfigMap holding the injection config, read from a cluster (not supported: use --injectConfigFile)').hideHelp(false))
    .addOption(new Option('--meshConfigMapName <name>', 'ConfigMap holding the mesh config, read from a cluster (not supported: use --meshConfigFile)'))
    .addOption(new Option('--webhookConfig <name>', 'webhook configuration to call for injection (not supported: injection runs locally)'))
    .option('-i, --istioNamespace <namespace>', 'Istio system namespace', 'istio-system')
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig (not supported by kube-inject here: it never talks to a cluster)'))
    .addOption(new Option('--context <name>', 'kubeconfig context (not supported, as --kubeconfig)'))
    .addHelpText('after', `
Examples:
  outrigger kube-inject -f samples/bookinfo/bookinfo.yaml | kubectl apply -f -
  outrigger kube-inject -f app.yaml --injectConfigFile inject-config.yaml --meshConfigFile mesh-config.yaml --valuesFile inject-values.yaml
  kubectl get deployment reviews -o yaml | outrigger kube-inject -f -

Environment: ENABLE_NATIVE_SIDECARS=true injects istio-proxy as a native sidecar (an init container with restartPolicy: Always).`)
    .action((opts: KubeInjectOptions) => {
      if (!opts.filename) throw new UsageError('filename not specified (see --filename or -f)');
      for (const [flag, value, file] of [
        ['--injectConfigMapName', opts.injectConfigMapName, '--injectConfigFile'],
        ['--meshConfigMapName', opts.meshConfigMapName, '--meshConfigFile'],
      ] as const) {
        if (value !== undefined && !(flag === '--injectConfigMapName' ? opts.injectConfigFile : opts.meshConfigFile)) {
          throw new UsageError(`${flag} ${value}: reading ConfigMaps from a cluster is not supported by kube-inject; save its data to a file and pass ${file}`);
        }
      }
      for (const [flag, value] of [['--webhookConfig', opts.webhookConfig], ['--kubeconfig', opts.kubeconfig], ['--context', opts.context]] as const) {
        if (value !== undefined) throw new UsageError(`${flag}: kube-inject runs the injector locally and does not talk to a cluster; remove ${flag}`);
      }
      let input: string;
      try {
        input = readFileSync(opts.filename === '-' ? 0 : opts.filename, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read ${opts.filename === '-' ? 'standard input' : JSON.stringify(opts.filename)}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
      }
      try {
        const settings = loadSettings({ injectConfig: opts.injectConfigFile, meshConfig: opts.meshConfigFile, values: opts.valuesFile }, opts.revision ?? '', process.env);
        const { output, warnings } = kubeInject(input, settings);
        for (const warning of warnings) process.stderr.write(`${warning}\n`);
        if (opts.output) writeFileSync(opts.output, output);
        else process.stdout.write(output);
      } catch (error) {
        if (error instanceof KubeInjectError || error instanceof YamlDocumentError) throw new UsageError(error.message);
        throw error;
      }
    });
}
