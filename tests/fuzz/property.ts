/**
 * What a loader may do with any input file: give a valid model, or throw an InputError whose
 * one-line message names the file and says what is wrong — never another exception, never a hang.
 */
import type { FuzzJob } from './loader-worker.js';
import type { FuzzOutcome } from './worker-client.js';

/** Longest acceptable error message (a message that quotes a 100 kB string is not readable). */
export const MAX_MESSAGE_LENGTH = 800;

/** Why the outcome breaks the contract, or null. */
export function loaderProblem(job: FuzzJob, outcome: FuzzOutcome): string | null {
  switch (outcome.status) {
    case 'ok':
      return null;
    case 'timeout':
      return `no answer within ${Math.round(outcome.ms)} ms`;
    case 'invalid':
      return `accepted an invalid model: ${outcome.detail}`;
    case 'error': {
      if (outcome.name !== 'InputError') return `threw ${outcome.name}: ${outcome.stack}`;
      const m = outcome.message;
      if (!outcome.where) return `no "where" (file and field): ${m.slice(0, 300)}`;
      // Building a model from a valid experiment file names the setting (e.g. "magnetization"),
      // not the file, which holds only some of the settings of a run (flags give the others).
      const namesFile = job.kind === 'model' || outcome.stage === 'load';
      if (namesFile && !m.includes(job.name)) return `the message does not name the file ${job.name}: ${m.slice(0, 300)}`;
      if (/[\n\r]/.test(m)) return `the message spans several lines: ${JSON.stringify(m.slice(0, 300))}`;
      if (m.length > MAX_MESSAGE_LENGTH) return `the message is ${m.length} characters long: ${m.slice(0, 300)}...`;
      return null;
    }
  }
}
