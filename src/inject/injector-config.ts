// The `config` key of Istio's istio-sidecar-injector ConfigMap: policy, selectors,
// injected annotations and the templates, parsed once with Istio's functions.
import { parse as parseYaml } from 'yaml';
import { Template, TemplateError } from '../gotemplate/index.js';
import { injectionFuncs } from './functions.js';
import { isObject } from './mesh.js';
import type { InjectionPolicy, LabelSelector } from './policy.js';

export class InjectorConfigError extends Error {}

export interface InjectorConfig {
  policy: InjectionPolicy;
  defaultTemplates: string[];
  aliases: Record<string, string[]>;
  neverInjectSelector: LabelSelector[];
  alwaysInjectSelector: LabelSelector[];
  injectedAnnotations: Record<string, string>;
  /** Parsed templates by name. */
  templates: Map<string, Template>;
  rawTemplates: Record<string, string>;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new InjectorConfigError(`injection config: ${field} must be a list of strings`);
  return value as string[];
}

function selectors(value: unknown, field: string): LabelSelector[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => !isObject(v))) throw new InjectorConfigError(`injection config: ${field} must be a list of label selectors`);
  return value as LabelSelector[];
}

/** Parses the config text; every template is parsed now, so a broken one is an error before any pod is touched. */
export function parseInjectorConfig(text: string, env: Readonly<Record<string, string | undefined>> = process.env): InjectorConfig {
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { version: '1.1' });
  } catch (error) {
    throw new InjectorConfigError(`failed to unmarshal injection template: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) parsed = {};
  if (!isObject(parsed)) throw new InjectorConfigError('failed to unmarshal injection template: expected a map');
  const policy = String(parsed['policy'] ?? 'enabled');
  if (policy !== 'enabled' && policy !== 'disabled') {
    throw new InjectorConfigError(`injection config: invalid policy "${policy}" (enabled or disabled)`);
  }
  const rawTemplates: Record<string, string> = {};
  const templatesField = parsed['templates'];
  if (templatesField !== undefined && templatesField !== null) {
    if (!isObject(templatesField)) throw new InjectorConfigError('injection config: templates must be a map of name to template text');
    for (const [name, body] of Object.entries(templatesField)) {
      if (typeof body !== 'string') throw new InjectorConfigError(`injection config: template ${name} must be text`);
      rawTemplates[name] = body;
    }
  }
  // The older single `template` key is the "sidecar" template.
  if (typeof parsed['template'] === 'string' && rawTemplates['sidecar'] === undefined) rawTemplates['sidecar'] = parsed['template'];

  const funcs = injectionFuncs(env);
  const templates = new Map<string, Template>();
  for (const [name, body] of Object.entries(rawTemplates)) {
    try {
      templates.set(name, Template.parse(name, body, { funcs }));
    } catch (error) {
      const message = error instanceof TemplateError ? error.message : String(error);
      throw new InjectorConfigError(`failed to parse template ${name}: ${message}`);
    }
  }
  const aliasesField = parsed['aliases'];
  const aliases: Record<string, string[]> = {};
  if (isObject(aliasesField)) for (const [name, list] of Object.entries(aliasesField)) aliases[name] = stringList(list, `aliases.${name}`);
  const injected = parsed['injectedAnnotations'];
  const defaultTemplates = stringList(parsed['defaultTemplates'], 'defaultTemplates');
  return {
    policy,
    defaultTemplates: defaultTemplates.length > 0 ? defaultTemplates : ['sidecar'],
    aliases,
    neverInjectSelector: selectors(parsed['neverInjectSelector'], 'neverInjectSelector'),
    alwaysInjectSelector: selectors(parsed['alwaysInjectSelector'], 'alwaysInjectSelector'),
    injectedAnnotations: isObject(injected) ? Object.fromEntries(Object.entries(injected).map(([k, v]) => [k, String(v)])) : {},
    templates,
    rawTemplates,
  };
}

/** The templates a pod asks for (inject.istio.io/templates) or the defaults, aliases resolved. */
export function selectTemplates(config: InjectorConfig, annotations: Readonly<Record<string, string>>): string[] {
  const requested = annotations['inject.istio.io/templates'];
  const names = requested !== undefined ? requested.split(',').map((n) => n.trim()) : config.defaultTemplates;
  return names.flatMap((name) => config.aliases[name] ?? [name]);
}
