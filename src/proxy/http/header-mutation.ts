// request_headers_to_add/remove and response_headers_to_add/remove, compiled
// once. Values are literal: Envoy's %FORMATTER% substitutions are rejected
// rather than sent through verbatim.
import { ConfigError } from '../config/errors.js';

export interface HeaderValueOption {
  header: { key: string; value?: string };
  append?: boolean;
  append_action?: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
  keep_empty_value?: boolean;
}

export type Headers = Record<string, string | string[] | undefined>;

export interface HeaderMutation {
  apply(headers: Headers): void;
}

export const noMutation: HeaderMutation = { apply: () => undefined };

export function compileHeaderMutation(add: readonly HeaderValueOption[] | undefined, remove: readonly string[] | undefined, path: string): HeaderMutation {
  const removals = (remove ?? []).map((h) => h.toLowerCase());
  const additions = (add ?? []).map((option, i) => {
    const value = option.header.value ?? '';
    if (/%[A-Z_]+(\(.*?\))?%/.test(value.replace(/%%/g, ''))) {
      throw new ConfigError(`header value ${JSON.stringify(value)} uses a %FORMATTER%, which the outrigger proxy does not support`, `${path}[${i}].header.value`);
    }
    const action = option.append_action ?? (option.append === false ? 'OVERWRITE_IF_EXISTS_OR_ADD' : 'APPEND_IF_EXISTS_OR_ADD');
    return { key: option.header.key.toLowerCase(), value: value.replace(/%%/g, '%'), action, keepEmpty: option.keep_empty_value === true };
  });
  if (removals.length === 0 && additions.length === 0) return noMutation;
  return {
    apply(headers) {
      for (const name of removals) delete headers[name];
      for (const a of additions) {
        if (a.value === '' && !a.keepEmpty) continue;
        const existing = headers[a.key];
        switch (a.action) {
          case 'APPEND_IF_EXISTS_OR_ADD':
            headers[a.key] = existing === undefined ? a.value : [...(Array.isArray(existing) ? existing : [existing]), a.value];
            break;
          case 'ADD_IF_ABSENT':
            if (existing === undefined) headers[a.key] = a.value;
            break;
          case 'OVERWRITE_IF_EXISTS_OR_ADD':
            headers[a.key] = a.value;
            break;
          case 'OVERWRITE_IF_EXISTS':
            if (existing !== undefined) headers[a.key] = a.value;
            break;
        }
      }
    },
  };
}

/** Applies mutations innermost last, so the most general (route configuration) wins, as Envoy's default. */
export function chainMutations(...mutations: HeaderMutation[]): HeaderMutation {
  const real = mutations.filter((m) => m !== noMutation);
  if (real.length === 0) return noMutation;
  return { apply: (h) => real.forEach((m) => m.apply(h)) };
}
