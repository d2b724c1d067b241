// Go text/template for TypeScript: same syntax, same output, same error messages, over plain
// JS data (see values.ts for how JS values stand in for Go's). Sprig's functions are a
// separate FuncMap, passed in like Go's template.New(..).Funcs(sprig.TxtFuncMap()).
export { Template } from './template.js';
export type { TemplateOptions } from './template.js';
export { TemplateError, FuncError } from './errors.js';
export { goFunc } from './funcs.js';
export type { FuncMap, TemplateFunc, GoParam, GoSignature } from './funcs.js';
export { sprint, sprintf, sprintln, formatValue } from './printf.js';
export { builtinFuncs } from './builtins.js';
export { isTrue, goTypeName, GO_NIL, GO_MAP_ZERO } from './values.js';
export { sprigFuncs } from './sprig/index.js';
export type { MissingKey } from './exec.js';
