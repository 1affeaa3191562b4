/**
 * A mistake in the user's input (a file, a field, a flag). The CLI prints its message on one line
 * and exits non-zero, without a stack trace. `where` names the file and/or field at fault.
 */
export class InputError extends Error {
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'InputError';
  }
}
