import type { FieldProblem } from '../domain/validation.js';

/**
 * Faults and refusals the use cases raise. Each carries a stable `code` and an HTTP-like `status`
 * so the one error middleware can map it without knowing every class.
 */
export class AppError extends Error {
  constructor(readonly code: string, readonly status: number, message: string, readonly details: FieldProblem[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) { super('NotFound', 404, `${what} was not found`); }
}

export class ConflictError extends AppError {
  constructor(message: string, details: FieldProblem[] = []) { super('Conflict', 409, message, details); }
}

export class ActiveRolloutExistsError extends AppError {
  constructor(readonly target: string, readonly activeRolloutId: string) {
    super('ActiveRolloutExists', 409, `Target ${target} already has an active rollout: ${activeRolloutId}`, [{ path: 'spec.targetDeployment', message: `rollout ${activeRolloutId} is active for this target` }]);
  }
}

/** The stored version moved on since it was read: another writer won. Callers re-read or drop out. */
export class ConcurrentUpdateError extends AppError {
  constructor(id: string, options?: ErrorOptions) { super('ConcurrentUpdate', 409, `Rollout ${id} was changed by someone else; retry`, [], options); }
}

export class UnknownClusterError extends AppError {
  constructor(name: string, known: string[]) {
    super('UnknownCluster', 400, `Cluster "${name}" is not registered`, [{ path: 'spec.cluster', message: `must be one of: ${known.join(', ') || '(no clusters are registered)'}` }]);
  }
}

/** A dependency (DynamoDB, SQS, Prometheus, apiserver) failed; `transient` faults are retried. */
export class DependencyError extends AppError {
  constructor(readonly dependency: string, message: string, readonly transient: boolean, options?: ErrorOptions) {
    super('DependencyFailed', 503, `${dependency}: ${message}`, [], options);
  }
}
