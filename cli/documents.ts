import { parseAllDocuments } from 'yaml';
import { releaseDocumentSchema } from '../lib/domain/release-schema.js';
import { canaryDeploymentSchema } from '../lib/domain/spec-schema.js';
import { issuesToDetails } from '../lib/domain/validation.js';
import { CliError, EXIT } from './errors.js';

export type Applicable = { kind: 'CanaryDeployment' | 'Release'; document: unknown };

const SCHEMAS = { CanaryDeployment: canaryDeploymentSchema, Release: releaseDocumentSchema } as const;

/**
 * Parses a YAML or JSON document (JSON is YAML) and checks it with the server's own schema, so a bad
 * file is refused with every field path before anything is sent. The API validates again (it also
 * knows the registered clusters); its refusals are printed the same way.
 */
export function parseApplicable(text: string, source: string): Applicable {
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const problems = list.flatMap((d) => d.errors).map((e) => {
    const pos = e.linePos?.[0];
    // The parser's first line repeats the position; the path already says it.
    const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
    return { path: pos ? `${source}:${pos.line}:${pos.col}` : source, message };
  });
  if (problems.length) throw new CliError(EXIT.badInput, `${source} is not valid YAML or JSON`, problems);
  const nonEmpty = list.filter((d) => d.contents !== null);
  if (nonEmpty.length !== 1) throw new CliError(EXIT.badInput, `${source} holds ${nonEmpty.length} documents; apply exactly one at a time`);
  let document: unknown;
  try {
    document = nonEmpty[0]!.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new CliError(EXIT.badInput, `${source} could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const kind = typeof document === 'object' && document !== null && 'kind' in document ? document.kind : undefined;
  if (kind !== 'CanaryDeployment' && kind !== 'Release') {
    throw new CliError(EXIT.badInput, `${source} is not a document the API accepts`, [{ path: 'kind', message: 'must be CanaryDeployment or Release' }]);
  }
  const checked = SCHEMAS[kind].safeParse(document);
  if (!checked.success) throw new CliError(EXIT.badInput, `${source} is not a valid ${kind}`, issuesToDetails(checked.error.issues));
  // The document is sent as written (not the parsed copy): the server stores the user's document.
  return { kind, document };
}
