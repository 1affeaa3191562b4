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

/** Longest quotation of user input inside an error message. */
export const MAX_QUOTED = 60;

/**
 * A value from the user's input, quoted for an error message: JSON text, shortened to about
 * `max` characters ("…" marks the cut), so that a 100 kB string or a structure nested thousands
 * of levels deep still gives a short one-line message (JSON.stringify itself would overflow the
 * stack on the latter).
 */
export function quote(value: unknown, max = MAX_QUOTED): string {
  let text: string;
  if (typeof value === 'string') {
    // escape the part shown only: JSON.stringify of a long string would copy all of it
    text = JSON.stringify(value.length > max ? value.slice(0, max) : value);
    if (value.length > max) return `${text.slice(0, -1)}…" (${value.length} characters)`;
    return text;
  }
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[…] (nested too deeply to show)' : '{…} (nested too deeply to show)';
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * A name from the user's input (a file path, a field name) as it should appear in a message or a
 * `where`: unchanged when it is short and printable, else quoted and shortened.
 */
export function shown(name: string, max = MAX_QUOTED): string {
  // eslint-disable-next-line no-control-regex
  return name.length <= max && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name) ? name : quote(name, max);
}
