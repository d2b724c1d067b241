// sprig v3's function map (the functions injection templates use), to pass as `funcs`.
// Every entry carries its Go signature, so argument errors read as they do with sprig.
import type { FuncMap } from '../funcs.js';
import { defaultFuncs } from './defaults.js';
import { dictFuncs } from './dicts.js';
import { encodingFuncs } from './encoding.js';
import { listFuncs } from './lists.js';
import { numberFuncs } from './numbers.js';
import { regexFuncs } from './regex.js';
import { semverFuncs } from './semver.js';
import { stringFuncs } from './strings.js';

export const sprigFuncs: Readonly<FuncMap> = Object.freeze({
  ...stringFuncs,
  ...listFuncs,
  ...dictFuncs,
  ...numberFuncs,
  ...encodingFuncs,
  ...regexFuncs,
  ...semverFuncs,
  ...defaultFuncs,
});

export { goJson, goYaml } from './encoding.js';
export { semverMatches } from './semver.js';
export { compileGoRegexp } from './regex.js';
