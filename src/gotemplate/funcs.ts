// Template functions and the Go signatures that give them Go's argument checking.
//
// A plain JS function receives its arguments as JS values (undefined for "no value", null
// for nil) and is not arity-checked. A function given a signature with `goFunc` gets what a
// Go function of that signature would: "wrong number of args for upper: want 1 got 2",
// "wrong type for value; expected string; got int", and nil for a missing interface{} value.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TemplateFunc = (...args: any[]) => unknown;
export type FuncMap = Record<string, TemplateFunc>;

/**
 * Go parameter types a signature can name. 'value' is Go's reflect.Value parameter of the
 * builtins: the argument arrives untouched, undefined ("no value") included.
 */
export type GoParam = 'any' | 'string' | 'int' | 'int64' | 'float64' | 'bool' | 'map' | 'list' | 'value';

export interface GoSignature {
  readonly params: readonly GoParam[];
  /** Type of the trailing ...args, if the function is variadic. */
  readonly variadic?: GoParam;
}

const signatures = new WeakMap<TemplateFunc, GoSignature>();

/** Attaches a Go signature to a function (returns the same function). */
export function goFunc<F extends TemplateFunc>(params: readonly GoParam[], fn: F, variadic?: GoParam): F {
  signatures.set(fn, variadic ? { params, variadic } : { params });
  return fn;
}

export function signatureOf(fn: TemplateFunc): GoSignature | undefined {
  return signatures.get(fn);
}

export function goParamTypeName(p: GoParam): string {
  switch (p) {
    case 'any':
      return 'interface {}';
    case 'map':
      return 'map[string]interface {}';
    case 'list':
      return '[]interface {}';
    case 'value':
      return 'reflect.Value';
    default:
      return p;
  }
}

/** Whether Go could pass nil for a parameter of this type. */
export function canBeNil(p: GoParam | undefined): boolean {
  return p === undefined || p === 'any' || p === 'map' || p === 'list' || p === 'value';
}
