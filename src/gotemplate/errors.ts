// The two ways a template fails, worded as Go's text/template words them so that messages
// users already search for ("nil pointer evaluating interface {}.x") keep working.

/** A parse or execution failure. `message` is exactly what Go would print. */
export class TemplateError extends Error {
  constructor(
    message: string,
    /** Name of the template whose text holds the failing construct. */
    readonly templateName: string,
    /** 1-based line of the failing construct, 0 when unknown. */
    readonly line: number,
    /** Byte offset within the line as Go reports it (0-based), -1 for parse errors. */
    readonly column: number,
    readonly phase: 'parse' | 'exec',
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * A failure raised inside a template function. The executor wraps it as
 * `error calling NAME: MESSAGE`; functions may also throw plain Errors.
 */
export class FuncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuncError';
  }
}
