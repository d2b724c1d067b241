// Transparent traffic capture: istio-iptables' policy as a pure rule generator
// (config → rules), renderers for iptables-restore and nft, and the shell that applies them.
export { resolveCaptureConfig, captureFlags, captureEnvOnly, nameserversFromResolvConf } from './config.js';
export type { CaptureConfig, FlagSpec, FlagValues, Environment, MachineFacts, InterceptionMode } from './config.js';
export { CaptureConfigError } from './parse.js';
export { buildRuleSet } from './rules.js';
export type { Rule, RuleSet } from './rule-builder.js';
export { finalChains } from './rule-builder.js';
export { renderRestore } from './iptables-restore.js';
export { parseSave, canonicalKey } from './iptables-save.js';
export { planFamily, findFootprint, cleanupScript, compareState } from './plan.js';
export { renderNft, renderNftCleanup, translateRule } from './nft.js';
export { runCapture, DriftError } from './apply.js';
export type { CaptureRunOptions, CaptureOutcome } from './apply.js';
export { machineFacts } from './machine.js';
