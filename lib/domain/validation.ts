/**
 * Validation problems are reported all at once, each naming the field (a dotted path with [index]
 * for arrays, e.g. `spec.strategy.steps[2].weight`) and the rule it breaks.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(message: string, readonly details: FieldProblem[]) {
    super(message);
  }
}

/** Formats a zod-style path as `a.b[2].c`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    return out === '' ? name : `${out}.${name}`;
  }, '');
}

interface IssueLike {
  code: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  keys?: string[];
  expected?: unknown;
  input?: unknown;
}

/** Turns zod issues into field problems, one per unknown key, with "is required" for missing fields. */
export function issuesToDetails(issues: ReadonlyArray<IssueLike>): FieldProblem[] {
  return issues.flatMap((issue): FieldProblem[] => {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'is not a known field' }));
    }
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    return [{ path: formatPath(issue.path) || '(document)', message: missing ? 'is required' : issue.message }];
  });
}
