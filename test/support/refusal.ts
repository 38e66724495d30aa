import { HttpError } from '../../lib/http/responses.js';

/** Runs `fn`, which must refuse with an HttpError, and returns that error for the test to inspect. */
export function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
