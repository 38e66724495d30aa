import type { FieldProblem } from '../lib/domain/validation.js';

/** Exit codes, documented in the README's CLI section; CI pipelines branch on them. */
export const EXIT = {
  ok: 0,
  /** The rollout failed (or the release failed or was cancelled), or an unexpected error. */
  failed: 1,
  /** The input was refused: a file that does not parse or validate, or a 4xx from the API. */
  badInput: 2,
  /** `watch --timeout` ran out before the rollout ended. */
  timeout: 3,
  /** The API refused the token (401) or its role (403). */
  auth: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error answer of the API (`{error:{code,message,details}}`); status 0 means it was not reached. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly status: number, readonly code: string, message: string, readonly details: FieldProblem[] = []) {
    super(message);
  }
}

/** A refusal by the CLI itself (bad file, missing setting), with the exit code it means. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(readonly exitCode: ExitCode, message: string, readonly details: FieldProblem[] = []) {
    super(message);
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof ApiError) {
    if (error.status === 401 || error.status === 403) return EXIT.auth;
    if (error.status >= 400 && error.status < 500) return EXIT.badInput;
  }
  return EXIT.failed;
}
