import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent as HttpAgent, createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { duplexPair, type Duplex } from 'node:stream';
import ts from 'typescript';
import { isSeq, parse, parseAllDocuments, type CollectionTag, type ScalarTag } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKubeClients, type KubeClients } from '../../lib/adapters/kubernetes/rest-client.js';

/**
 * Least privilege, checked on the files that grant it: the ClusterRole the engine uses in each cluster
 * (infra/k8s), held to exactly the calls the Kubernetes adapter makes, and the IAM statements of the
 * Lambda role (serverless.yml); plus the alarm that tells a person a tick was dead-lettered.
 */
const ROOT = resolve(import.meta.dirname, '../..');

// ---- Kubernetes RBAC -------------------------------------------------------------------------------
interface Rule { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }
interface RbacObject { kind: string; metadata: { name: string }; rules?: Rule[]; roleRef?: { kind: string; name: string }; subjects?: { kind: string; name: string }[] }

const RBAC_FILE = 'infra/k8s/engine-rbac.yaml';
const ENGINE_ROLE = 'codedance-engine';

function rbacObjects(): RbacObject[] {
  const dir = resolve(ROOT, 'infra/k8s');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && statSync(join(dir, f)).isFile());
  return files.flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as RbacObject))
    .filter((o) => o && /Role(Binding)?$/.test(o.kind));
}

describe('the engine ClusterRole (infra/k8s)', () => {
  const objects = rbacObjects();
  const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
  const rules = roles.flatMap((r) => r.rules ?? []);
  const grants = (resource: string, verb: string) => rules.some((r) => (r.resources ?? []).includes(resource) && (r.verbs ?? []).includes(verb));

  it('exists and has rules', () => {
    expect(roles.map((r) => r.metadata.name)).toContain(ENGINE_ROLE);
    expect(rules.length).toBeGreaterThan(0);
  });

  it('never uses a wildcard for API groups, resources, verbs or names', () => {
    for (const rule of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) {
        expect(rule[field] ?? [], `${field} in ${JSON.stringify(rule)}`).not.toContain('*');
        expect((rule[field] ?? []).filter((v) => v.includes('*')), field).toEqual([]);
      }
      expect(rule.nonResourceURLs, 'no non-resource URLs').toBeUndefined();
    }
  });

  it('cannot read secrets, configmaps or service-account tokens, nor exec into pods', () => {
    const forbidden = ['secrets', 'configmaps', 'serviceaccounts', 'serviceaccounts/token', 'pods/exec', 'pods/attach', 'pods/portforward', 'nodes', 'nodes/proxy', 'services/proxy'];
    for (const rule of rules) expect((rule.resources ?? []).filter((r) => forbidden.includes(r)), JSON.stringify(rule)).toEqual([]);
  });

  it('cannot change RBAC or act as someone else', () => {
    for (const rule of rules) {
      expect(rule.apiGroups ?? []).not.toContain('rbac.authorization.k8s.io');
      expect((rule.verbs ?? []).filter((v) => ['escalate', 'bind', 'impersonate', 'deletecollection', 'approve'].includes(v)), JSON.stringify(rule)).toEqual([]);
    }
  });

  it('never deletes the user-owned traffic objects (VirtualService, DestinationRule, HTTPRoute)', () => {
    for (const resource of ['virtualservices', 'destinationrules', 'httproutes']) {
      expect(grants(resource, 'delete'), resource).toBe(false);
      expect(grants(resource, 'patch') || grants(resource, 'update'), `${resource} weights are still writable`).toBe(true);
    }
  });

  it('never changes pods or replica sets, nor the spec of a CanaryDeployment (only its status)', () => {
    // A CanaryDeployment may be created (for a rollout started over HTTP), never updated, patched or deleted.
    const readOnly = { pods: [], replicasets: [], canarydeployments: ['create'] } as Record<string, string[]>;
    for (const [resource, allowed] of Object.entries(readOnly)) {
      const verbs = rules.filter((r) => r.resources?.includes(resource)).flatMap((r) => r.verbs ?? []);
      expect(verbs.filter((v) => !['get', 'list', 'watch', ...allowed].includes(v)), resource).toEqual([]);
    }
  });

  it('is bound only to the engine identity', () => {
    const bindings = objects.filter((o) => o.kind.endsWith('Binding'));
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) {
      expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: ENGINE_ROLE });
      expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'User', name: ENGINE_ROLE })]);
    }
  });
});

/*
 * What the Kubernetes adapter calls, derived from the code each time the test runs:
 *
 * 1. Every file in lib/adapters/kubernetes is parsed (TypeScript's parser, so comments and strings never
 *    count) for call sites `kube.<kind>.<method>(…)`. For `kube.custom.*` the call's argument is evaluated
 *    statically for `group` and `plural` (string literals, consts such as GROUP, also imported from a
 *    sibling file, and helpers such as istio.ts' `api(spec, 'virtualservices', name)`). Anything the scan
 *    cannot follow fails the test: `kube`
 *    used other than as `kube.<kind>.<method>(`, a KubeClients value under another name, a custom call whose
 *    group or plural is not static, a direct `apiRequest(` or generated client outside rest-client.ts.
 * 2. Each call site's method is invoked on the real rest-client (createKubeClients) over an in-process
 *    HTTP server (node:stream duplexPair, no socket, no network) that records the requests it sends.
 * 3. Each request becomes its RBAC triple by the apiserver's own rules (k8s.io/apiserver RequestInfo):
 *    GET of an object → get, of a collection → list (watch=true → watch), POST → create, PUT → update,
 *    PATCH → patch, DELETE → delete (of a collection: deletecollection); `/…/<name>/status` is the
 *    resource `<plural>/status`.
 * 4. The comment above each rule must name (file.ts, function) the callers of its triples: a file that
 *    makes none of them, or a function name no longer in those files, fails the test.
 *
 * So a new `kube.replicasets.list(` in workload.ts (with `replicasets` added to rest-client.ts) shows up as
 * `apps replicasets list — kube.replicasets.list at lib/adapters/kubernetes/workload.ts:<line>` missing from
 * the ClusterRole, and a rule nothing calls shows up as surplus.
 */
const ADAPTER_DIR = 'lib/adapters/kubernetes';

interface Triple { apiGroup: string; resource: string; verb: string }
interface CallSite { where: string; file: string; kind: string; method: string; group?: string; plural?: string }
const tripleKey = (t: Triple) => `${t.apiGroup || '""'} ${t.resource} ${t.verb}`;

/** One parsed adapter file: its top-level and nested declarations by name, and what it imports from siblings. */
interface SourceContext { path: string; sf: ts.SourceFile; declarations: Map<string, ts.Node[]>; imports: Map<string, { file: string; name: string }> }
/** A statically known binding: a parameter of a helper bound to the argument at the call. */
type Env = ReadonlyMap<string, { node: ts.Expression; env: Env; ctx: SourceContext }>;
const NO_ENV: Env = new Map();
const contexts = new Map<string, SourceContext | undefined>();

function contextOf(path: string): SourceContext | undefined {
  if (contexts.has(path)) return contexts.get(path);
  const full = resolve(ROOT, ADAPTER_DIR, path);
  let ctx: SourceContext | undefined;
  try {
    const sf = ts.createSourceFile(path, readFileSync(full, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const declarations = new Map<string, ts.Node[]>();
    const imports = new Map<string, { file: string; name: string }>();
    const collect = (node: ts.Node): void => {
      if ((ts.isVariableDeclaration(node) && node.initializer) || ts.isFunctionDeclaration(node)) {
        if (node.name && ts.isIdentifier(node.name)) declarations.set(node.name.text, [...(declarations.get(node.name.text) ?? []), node]);
      }
      // `import { GROUP } from './istio-subsets.js'`: follow values into sibling files of the adapter.
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && /^\.\/[^/]+\.js$/.test(node.moduleSpecifier.text)) {
        const file = node.moduleSpecifier.text.slice(2).replace(/\.js$/, '.ts');
        const bindings = node.importClause?.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) {
          for (const el of bindings.elements) imports.set(el.name.text, { file, name: (el.propertyName ?? el.name).text });
        }
      }
      ts.forEachChild(node, collect);
    };
    collect(sf);
    ctx = { path, sf, declarations, imports };
  } catch {
    ctx = undefined;
  }
  contexts.set(path, ctx);
  return ctx;
}

/** The declarations an identifier names in `ctx`: its own, else the sibling file's it is imported from. */
function declarationsOf(name: string, ctx: SourceContext, depth: number): { node: ts.Node; ctx: SourceContext }[] {
  const own = ctx.declarations.get(name);
  if (own) return own.map((node) => ({ node, ctx }));
  const imported = ctx.imports.get(name);
  const other = imported && depth < 12 ? contextOf(imported.file) : undefined;
  return other && imported ? declarationsOf(imported.name, other, depth + 1) : [];
}

const unwrap = (node: ts.Expression): ts.Expression =>
  (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isNonNullExpression(node) ? unwrap(node.expression) : node);

/** The one value all declarations agree on; undefined when none gives one or they disagree. */
const agreed = (values: (string | undefined)[]) => (values.length > 0 && values.every((v) => v !== undefined && v === values[0]) ? values[0] : undefined);

/** The string an expression statically evaluates to (literals, consts, helper parameters), else undefined. */
function valueOf(node: ts.Expression, env: Env, ctx: SourceContext, depth: number): string | undefined {
  if (depth > 12) return undefined;
  const e = unwrap(node);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (!ts.isIdentifier(e)) return undefined;
  const bound = env.get(e.text);
  if (bound) return valueOf(bound.node, bound.env, bound.ctx, depth + 1);
  return agreed(declarationsOf(e.text, ctx, depth).map(({ node: d, ctx: c }) => (ts.isVariableDeclaration(d) && d.initializer ? valueOf(d.initializer, NO_ENV, c, depth + 1) : undefined)));
}

/** The string value of property `prop` of the object an expression statically evaluates to, else undefined. */
function propOf(node: ts.Expression, prop: string, env: Env, ctx: SourceContext, depth: number): string | undefined {
  if (depth > 12) return undefined;
  const e = unwrap(node);
  if (ts.isObjectLiteralExpression(e)) {
    for (const p of [...e.properties].reverse()) { // the last one wins, as in JavaScript
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === prop) return valueOf(p.initializer, env, ctx, depth + 1);
      if (ts.isShorthandPropertyAssignment(p) && p.name.text === prop) return valueOf(p.name, env, ctx, depth + 1);
      if (ts.isSpreadAssignment(p)) {
        const spread = propOf(p.expression, prop, env, ctx, depth + 1);
        if (spread !== undefined) return spread;
      }
    }
    return undefined;
  }
  if (ts.isIdentifier(e)) {
    const bound = env.get(e.text);
    if (bound) return propOf(bound.node, prop, bound.env, bound.ctx, depth + 1);
    return agreed(declarationsOf(e.text, ctx, depth).map(({ node: d, ctx: c }) => (ts.isVariableDeclaration(d) && d.initializer ? propOf(d.initializer, prop, NO_ENV, c, depth + 1) : undefined)));
  }
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) {
    // A helper: bind its parameters to this call's arguments and evaluate what it returns.
    const helpers = declarationsOf(e.expression.text, ctx, depth).flatMap(({ node: d, ctx: c }): { fn: ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression; ctx: SourceContext }[] => {
      if (ts.isFunctionDeclaration(d)) return [{ fn: d, ctx: c }];
      const init = ts.isVariableDeclaration(d) && d.initializer ? unwrap(d.initializer) : undefined;
      return init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) ? [{ fn: init, ctx: c }] : [];
    });
    return agreed(helpers.map(({ fn, ctx: c }) => {
      const bindings = new Map(env);
      fn.parameters.forEach((param, i) => {
        const arg = e.arguments[i];
        if (ts.isIdentifier(param.name)) {
          if (arg) bindings.set(param.name.text, { node: arg, env, ctx });
          else bindings.delete(param.name.text);
        }
      });
      if (fn.body && !ts.isBlock(fn.body)) return propOf(fn.body, prop, bindings, c, depth + 1);
      const returns: ts.Expression[] = [];
      const findReturns = (n: ts.Node): void => {
        if (ts.isReturnStatement(n) && n.expression) returns.push(n.expression);
        else if (!ts.isFunctionLike(n)) ts.forEachChild(n, findReturns);
      };
      if (fn.body) ts.forEachChild(fn.body, findReturns);
      return agreed(returns.map((r) => propOf(r, prop, bindings, c, depth + 1)));
    }));
  }
  return undefined;
}

/** The `kube.<kind>.<method>(` call sites of one file, and what keeps the scan from mapping the rest. */
function scanAdapterFile(path: string): { sites: CallSite[]; problems: string[] } {
  const relPath = `${ADAPTER_DIR}/${path}`;
  const ctx = contextOf(path);
  if (!ctx) return { sites: [], problems: [`${relPath}: cannot be read`] };
  const { sf } = ctx;
  const at = (node: ts.Node) => `${relPath}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
  const sites: CallSite[] = [];
  const problems: string[] = [];

  const visit = (node: ts.Node): void => {
    // Only rest-client.ts talks HTTP; anything else would be invisible to this check.
    if (path !== 'rest-client.ts' && ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ['apiRequest', 'makeApiClient'].includes(node.expression.text)) {
      problems.push(`${at(node)}: ${node.expression.text}( bypasses KubeClients; call the apiserver through kube.<kind>.<method>( so the RBAC check sees it`);
    }
    if (path !== 'rest-client.ts' && ts.isPropertyAccessExpression(node) && node.name.text === 'makeApiClient') {
      problems.push(`${at(node)}: a generated client-node API bypasses KubeClients; call the apiserver through kube.<kind>.<method>(`);
    }
    // A KubeClients value under another name would hide its calls from the scan.
    if ((ts.isParameter(node) || ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node)) && node.type && ts.isTypeReferenceNode(node.type)
      && node.type.typeName.getText(sf) === 'KubeClients' && !(ts.isIdentifier(node.name) && node.name.text === 'kube')) {
      problems.push(`${at(node)}: a KubeClients named "${node.name.getText(sf)}"; name it kube so the RBAC check sees its calls`);
    }
    if (ts.isIdentifier(node) && node.text === 'kube') {
      const parent = node.parent;
      if (ts.isVariableDeclaration(parent) && parent.initializer === node && ts.isObjectBindingPattern(parent.name)) {
        const names = parent.name.elements.map((el) => (el.propertyName ?? el.name).getText(sf));
        for (const name of names.filter((n) => n !== 'cluster')) problems.push(`${at(node)}: kube.${name} destructured; call kube.${name}.<method>( directly so the RBAC check sees it`);
      } else if (ts.isElementAccessExpression(parent) && parent.expression === node) {
        problems.push(`${at(node)}: ${parent.getText(sf)}: use kube.<kind>.<method>( so the RBAC check can map it`);
      } else if (ts.isPropertyAccessExpression(parent) && parent.expression === node && parent.name.text !== 'cluster') {
        const kind = parent.name.text;
        const member = parent.parent;
        const callee = ts.isPropertyAccessExpression(member) && member.expression === parent ? member : undefined;
        if (!callee || !ts.isCallExpression(callee.parent) || callee.parent.expression !== callee) {
          problems.push(`${at(node)}: ${(callee ?? parent).getText(sf)} is used other than as kube.${kind}.<method>(…); call it directly so the RBAC check can map it`);
        } else {
          const method = callee.name.text;
          const site: CallSite = { where: at(callee), file: path, kind, method };
          if (kind === 'custom') {
            const arg = callee.parent.arguments[0];
            site.group = arg && propOf(arg, 'group', NO_ENV, ctx, 0);
            site.plural = arg && propOf(arg, 'plural', NO_ENV, ctx, 0);
            if (site.group === undefined || site.plural === undefined) {
              problems.push(`${site.where}: cannot tell the group/plural of kube.custom.${method}(${arg?.getText(sf) ?? ''}); pass them as string literals or consts (directly or through a local helper)`);
            }
          }
          sites.push(site);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { sites, problems };
}

/** The apiserver's RequestInfo for one request: which (group, resource, verb) RBAC authorizes it against. */
function requestTriple(method: string, url: string): Triple | string {
  const u = new URL(url, 'http://apiserver.invalid');
  const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  let apiGroup: string;
  if (parts[0] === 'api' && parts.length >= 2) [apiGroup, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3) [apiGroup, rest] = [parts[1]!, parts.slice(3)];
  else return `${method} ${u.pathname} is not a resource request`;
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const [resource, name, subresource] = rest;
  if (!resource) return `${method} ${u.pathname} names no resource`;
  const watch = ['true', '1'].includes(u.searchParams.get('watch') ?? '');
  const verb = ({ GET: watch ? 'watch' : name ? 'get' : 'list', HEAD: name ? 'get' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name ? 'delete' : 'deletecollection' } as Record<string, string>)[method];
  if (!verb) return `${method} ${u.pathname}: no RBAC verb for HTTP ${method}`;
  return { apiGroup, resource: subresource ? `${resource}/${subresource}` : resource, verb };
}

/** The rest-client over an in-process HTTP server that records each request and answers `{}`. */
function recordingKubeClients(): { kube: KubeClients; requests: { method: string; url: string }[]; close(): void } {
  const requests: { method: string; url: string }[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ method: req.method ?? '?', url: req.url ?? '/' });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  class InProcessAgent extends HttpAgent {
    override createConnection(): Duplex {
      const [client, serverSide] = duplexPair();
      server.emit('connection', serverSide);
      return client;
    }
  }
  const agent = new InProcessAgent({ keepAlive: false });
  const kube = createKubeClients('rbac-check', { server: 'http://apiserver.invalid', timeoutMs: 5_000, requestOptions: async () => ({ agent }) });
  return { kube, requests, close: () => agent.destroy() };
}

interface Used { triple: Triple; sites: string[]; files: Set<string> }
interface UsedTriples { used: Map<string, Used>; problems: string[]; siteCount: number }

async function usedTriples(): Promise<UsedTriples> {
  contexts.clear();
  const files = readdirSync(resolve(ROOT, ADAPTER_DIR)).filter((f) => f.endsWith('.ts')).sort();
  const scans = files.map(scanAdapterFile);
  const problems = scans.flatMap((s) => s.problems);
  const sites = scans.flatMap((s) => s.sites);
  const used = new Map<string, Used>();
  const { kube, requests, close } = recordingKubeClients();
  try {
    for (const site of sites) {
      const call = `kube.${site.kind}.${site.method}`;
      if (site.kind === 'custom' && (site.group === undefined || site.plural === undefined)) continue; // already a problem
      const client = (kube as unknown as Record<string, unknown>)[site.kind];
      const fn = client !== null && typeof client === 'object' ? (client as Record<string, unknown>)[site.method] : undefined;
      if (typeof fn !== 'function') {
        problems.push(`${site.where}: ${call}( is called, but rest-client.ts's KubeClients has no such method`);
        continue;
      }
      const params = { namespace: 'rbac-check', name: 'object', body: {}, patchType: 'merge', group: site.group, version: 'v1', plural: site.plural };
      const before = requests.length;
      let failure = '';
      try {
        await (fn as (p: unknown) => Promise<unknown>).call(client, params);
      } catch (err) {
        failure = ` (${String(err)})`;
      }
      if (requests.length === before) problems.push(`${site.where}: ${call}( sent no request to the recording apiserver${failure}`);
      for (const request of requests.slice(before)) {
        const triple = requestTriple(request.method, request.url);
        if (typeof triple === 'string') {
          problems.push(`${site.where}: ${call}( sends ${triple}`);
          continue;
        }
        const entry = used.get(tripleKey(triple)) ?? { triple, sites: [], files: new Set<string>() };
        entry.sites.push(`${call} at ${site.where}`);
        entry.files.add(site.file);
        used.set(tripleKey(triple), entry);
      }
    }
  } finally {
    close();
  }
  return { used, problems, siteCount: sites.length };
}

/** The ClusterRole's rules in engine-rbac.yaml, each with the comment above it. */
function engineRules(): { rule: Rule; comment: string; name: string }[] {
  const doc = parseAllDocuments(readFileSync(resolve(ROOT, RBAC_FILE), 'utf8'))
    .find((d) => { const o = d.toJS() as RbacObject | null; return o?.kind === 'ClusterRole' && o.metadata.name === ENGINE_ROLE; });
  const seq = doc?.get('rules');
  if (!isSeq(seq)) return [];
  return seq.items.map((item, i) => {
    const rule = (item as { toJSON(): Rule }).toJSON();
    // The first rule's comment is parsed as the comment of the `rules` sequence itself.
    const comment = [i === 0 ? seq.commentBefore : undefined, (item as { commentBefore?: string | null }).commentBefore].filter(Boolean).join('\n');
    return { rule, comment, name: `rule ${i + 1} (apiGroups ${JSON.stringify(rule.apiGroups)}, resources ${JSON.stringify(rule.resources)})` };
  });
}

/** Every (group, resource, verb) the ClusterRole grants, with the rule that grants it. */
function grantedTriples(): Map<string, { triple: Triple; rule: string }> {
  const granted = new Map<string, { triple: Triple; rule: string }>();
  for (const { rule, name } of engineRules()) {
    for (const apiGroup of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs ?? []) {
          const triple = { apiGroup, resource, verb };
          granted.set(tripleKey(triple), { triple, rule: name });
        }
      }
    }
  }
  return granted;
}

describe(`the ClusterRole ${ENGINE_ROLE} grants exactly what the Kubernetes adapter calls`, () => {
  let derived: UsedTriples;
  beforeAll(async () => { derived = await usedTriples(); });
  const granted = grantedTriples();

  it(`can map every apiserver call site in ${ADAPTER_DIR} to an RBAC triple`, () => {
    expect(derived.problems, 'call sites the RBAC check cannot map: fix the call site (or this check), never skip it').toEqual([]);
    // The scan is not blind: the target Deployment is read on every tick.
    expect(derived.siteCount).toBeGreaterThan(10);
    expect(derived.used.get(tripleKey({ apiGroup: 'apps', resource: 'deployments', verb: 'get' }))?.sites.length).toBeGreaterThan(0);
  });

  it(`grants every (apiGroup, resource, verb) the adapter uses (${RBAC_FILE})`, () => {
    const missing = [...derived.used.entries()].filter(([key]) => !granted.has(key))
      .map(([key, { sites }]) => `${key} — used by ${sites.join('; ')}`);
    expect(missing, `missing from ClusterRole ${ENGINE_ROLE} in ${RBAC_FILE} (apiGroup resource verb): add a rule for each, with a comment naming its caller (file: function)`).toEqual([]);
  });

  it(`grants nothing the adapter does not use (${RBAC_FILE})`, () => {
    const surplus = [...granted.entries()].filter(([key]) => !derived.used.has(key))
      .map(([key, { rule }]) => `${key} — granted by ${rule}, called nowhere in ${ADAPTER_DIR}`);
    expect(surplus, `surplus in ClusterRole ${ENGINE_ROLE} in ${RBAC_FILE} (apiGroup resource verb): remove each, or it is a call the scan missed`).toEqual([]);
  });

  it(`says above each rule which files and functions make its calls, truthfully (${RBAC_FILE})`, () => {
    const wrong: string[] = [];
    for (const { rule, comment, name } of engineRules()) {
      const triples = (rule.apiGroups ?? []).flatMap((apiGroup) => (rule.resources ?? []).flatMap((resource) => (rule.verbs ?? []).map((verb) => tripleKey({ apiGroup, resource, verb }))));
      const callers = new Set(triples.flatMap((key) => [...(derived.used.get(key)?.files ?? [])]));
      const named = new Set([...comment.matchAll(/\b([a-z0-9][a-z0-9-]*\.ts)\b/g)].map((m) => m[1]!));
      if (named.size === 0) wrong.push(`${name}: its comment names no file (say "<verb>: <file>.ts: <function>" for each verb)`);
      for (const file of named) if (!callers.has(file)) wrong.push(`${name}: its comment names ${file}, which makes none of its calls (callers: ${[...callers].sort().join(', ') || 'none'})`);
      for (const key of triples) {
        const files = [...(derived.used.get(key)?.files ?? [])];
        if (files.length > 0 && !files.some((f) => named.has(f))) wrong.push(`${name}: its comment names none of the callers of ${key} (${files.sort().join(', ')})`);
      }
      // Function names (camelCase words) must still exist in the files the comment names.
      const sources = [...named].filter((f) => callers.has(f)).map((f) => readFileSync(resolve(ROOT, ADAPTER_DIR, f), 'utf8')).join('\n');
      for (const fn of new Set([...comment.matchAll(/\b[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*\b/g)].map((m) => m[0]))) {
        if (!new RegExp(`\\b${fn}\\b`).test(sources)) wrong.push(`${name}: its comment names ${fn}, which none of its files (${[...named].join(', ')}) defines or uses`);
      }
    }
    expect(wrong, `comments in ${RBAC_FILE} that no longer say who calls what`).toEqual([]);
  });
});

// ---- IAM in serverless.yml ---------------------------------------------------------------------------
const INTRINSICS = ['GetAtt', 'Ref', 'Join', 'Sub', 'Select', 'If', 'Equals', 'ImportValue', 'Split'];
const longForm = (name: string, v: unknown) => (name === 'Ref' ? { Ref: v } : name === 'GetAtt' && typeof v === 'string' ? { 'Fn::GetAtt': v.split('.') } : { [`Fn::${name}`]: v });
const cfnTags = INTRINSICS.flatMap((name): (ScalarTag | CollectionTag)[] => [
  { tag: `!${name}`, resolve: (v: string) => longForm(name, v) },
  { tag: `!${name}`, collection: 'seq', resolve: (v) => longForm(name, v.toJSON()) },
]);

interface Statement { Effect: string; Action: string | string[]; Resource: unknown }
const serverless = parse(readFileSync(resolve(ROOT, 'serverless.yml'), 'utf8'), { customTags: cfnTags }) as {
  provider: { iam?: { role?: { statements?: Statement[] } }; iamRoleStatements?: Statement[] };
  resources: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  functions: Record<string, { iamRoleStatements?: unknown; iam?: unknown; events?: { sqs?: { arn?: unknown } }[] }>;
};
const statements = serverless.provider.iam?.role?.statements ?? [];
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** The table, its indexes, the queues and the stage's parameters: nothing else may be named. */
const ALLOWED_TYPES: Record<string, string> = { RolloutsTable: 'AWS::DynamoDB::Table', TickQueue: 'AWS::SQS::Queue', TickDeadLetterQueue: 'AWS::SQS::Queue', NotificationQueue: 'AWS::SQS::Queue', NotificationDeadLetterQueue: 'AWS::SQS::Queue' };

function describeResource(resource: unknown): string {
  const r = resource as Record<string, unknown>;
  if (typeof resource === 'string') return resource === '*' ? 'wildcard' : `literal ${resource}`;
  const getAtt = r['Fn::GetAtt'] as string[] | undefined;
  if (getAtt) return getAtt[1] === 'Arn' && ALLOWED_TYPES[getAtt[0]!] ? `arn of ${getAtt[0]}` : `other GetAtt ${getAtt.join('.')}`;
  const join = r['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) {
    const [separator, parts] = join;
    const [first, ...rest] = parts;
    return separator === '/' && describeResource(first) === 'arn of RolloutsTable' && rest.join('/') === 'index/*' ? 'indexes of RolloutsTable' : `other Join ${JSON.stringify(join)}`;
  }
  const sub = r['Fn::Sub'];
  if (typeof sub === 'string') {
    return /^arn:\$\{AWS::Partition\}:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter\/codedance\/\$\{self:provider\.stage\}\/\*$/.test(sub)
      ? 'parameters of the stage' : `other Sub ${sub}`;
  }
  return `unrecognised ${JSON.stringify(resource)}`;
}

/** AWS SDK commands the engine sends, found in its source, and the IAM action each one needs. */
const COMMAND_ACTIONS: Record<string, string[]> = {
  GetItemCommand: ['dynamodb:GetItem'], PutItemCommand: ['dynamodb:PutItem'], DeleteItemCommand: ['dynamodb:DeleteItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'], QueryCommand: ['dynamodb:Query'], TransactWriteItemsCommand: [],
  SendMessageCommand: ['sqs:SendMessage'], SendMessageBatchCommand: ['sqs:SendMessage'], GetQueueUrlCommand: ['sqs:GetQueueUrl'],
  GetParameterCommand: ['ssm:GetParameter'],
};
/** Inside TransactWriteItems each entry is authorised as its own item action. */
const TRANSACT_ACTIONS: Record<string, string> = { Put: 'dynamodb:PutItem', Delete: 'dynamodb:DeleteItem', Update: 'dynamodb:UpdateItem', ConditionCheck: 'dynamodb:ConditionCheckItem' };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('IAM statements in serverless.yml', () => {
  const allowedActions = new Set(statements.flatMap((s) => list(s.Action)));

  it('has statements, only Allow, and no per-function roles that would bypass them', () => {
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) expect(s.Effect).toBe('Allow');
    expect(serverless.provider.iamRoleStatements).toBeUndefined();
    for (const [name, fn] of Object.entries(serverless.functions)) expect([name, fn.iam ?? fn.iamRoleStatements]).toEqual([name, undefined]);
  });

  it('never grants a wildcard action', () => {
    for (const action of allowedActions) expect(action, action).toMatch(/^(dynamodb|sqs|ssm):[A-Za-z]+$/);
  });

  it("names only the table and its indexes, the queues and the stage's parameters (no Resource '*')", () => {
    for (const s of statements) {
      const described = list(s.Resource).map(describeResource);
      for (const d of described) expect(d, JSON.stringify(s)).toMatch(/^(arn of (RolloutsTable|TickQueue|TickDeadLetterQueue|NotificationQueue|NotificationDeadLetterQueue)|indexes of RolloutsTable|parameters of the stage)$/);
      // A statement's actions belong to the service its resources are in.
      const services = new Set(list(s.Action).map((a) => a.split(':')[0]));
      const kinds = new Set(described.map((d) => (d.includes('Table') ? 'dynamodb' : d.includes('Queue') ? 'sqs' : 'ssm')));
      expect([...services]).toEqual([...kinds]);
    }
    for (const [logicalId, type] of Object.entries(ALLOWED_TYPES)) expect(serverless.resources.Resources[logicalId]?.Type, logicalId).toBe(type);
  });

  it('allows nothing destructive at the table or queue level', () => {
    const destructive = ['dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:Scan', 'sqs:DeleteQueue', 'sqs:PurgeQueue', 'sqs:SetQueueAttributes', 'ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParametersByPath'];
    for (const action of destructive) expect(allowedActions.has(action), action).toBe(false);
  });

  it('allows every AWS call the engine makes (found in lib/ and functions/)', () => {
    const source = [...sourceFiles(resolve(ROOT, 'lib')), ...sourceFiles(resolve(ROOT, 'functions'))].map((f) => readFileSync(f, 'utf8')).join('\n');
    const commands = new Set([...source.matchAll(/new (\w+Command)\(/g)].map((m) => m[1]!));
    expect(commands.size).toBeGreaterThan(0);
    const needed = new Set<string>();
    for (const command of commands) {
      const actions = COMMAND_ACTIONS[command];
      expect(actions, `${command} is sent by the engine: add it and its IAM action to COMMAND_ACTIONS and serverless.yml`).toBeDefined();
      for (const a of actions ?? []) needed.add(a);
    }
    if (commands.has('TransactWriteItemsCommand')) {
      for (const [entry, action] of Object.entries(TRANSACT_ACTIONS)) if (new RegExp(`\\b${entry}: \\{`).test(source)) needed.add(action);
    }
    expect([...needed].filter((a) => !allowedActions.has(a))).toEqual([]);
  });
});

// ---- Alarms in serverless.yml ----------------------------------------------------------------------------
interface AlarmProperties { Namespace?: string; MetricName?: string; Statistic?: string; Period?: number; Threshold?: number; ComparisonOperator?: string; Dimensions?: { Name: string; Value: unknown }[]; AlarmActions?: unknown[] }
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

describe('alarms in serverless.yml', () => {
  const resources = serverless.resources.Resources;
  const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm').map(([id, r]) => ({ id, ...(r.Properties as AlarmProperties) }));
  const queueOf = (alarm: AlarmProperties) => Object.keys(resources)
    .find((id) => alarm.Namespace === 'AWS/SQS' && alarm.Dimensions?.some((d) => d.Name === 'QueueName' && JSON.stringify(d.Value) === JSON.stringify(getAtt(id, 'QueueName'))));
  const consumerOf = (queue: string) => Object.keys(serverless.functions)
    .find((fn) => serverless.functions[fn]!.events?.some((e) => JSON.stringify(e.sqs?.arn) === JSON.stringify(getAtt(queue, 'Arn'))));
  const deadLetterQueues = Object.values(resources).flatMap((r) => {
    const target = (r.Properties?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt'?: string[] } } | undefined)?.deadLetterTargetArn?.['Fn::GetAtt'];
    return target?.[1] === 'Arn' && target[0] ? [target[0]] : [];
  });

  it('alarms on every tick dead-lettered, counted by the receives of the DLQ consumer that rolls it back', () => {
    expect(consumerOf('TickDeadLetterQueue'), 'the tick DLQ has a consumer (functions/queue/dead-letter.ts)').toBe('deadLetter');
    const alarm = alarms.find((a) => queueOf(a) === 'TickDeadLetterQueue');
    expect(alarm, 'an alarm on the tick DLQ').toBeDefined();
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesReceived', Statistic: 'Sum',
      Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
    expect(alarm?.Dimensions).toEqual([{ Name: 'QueueName', Value: getAtt('TickDeadLetterQueue', 'QueueName') }]);
    expect(alarm?.Period).toBeLessThanOrEqual(300);
  });

  it('never watches the depth of a queue a function drains, nor NumberOfMessagesSent of a DLQ (redrives are not counted)', () => {
    for (const alarm of alarms) {
      const queue = queueOf(alarm);
      if (!queue) continue;
      const consumer = consumerOf(queue);
      if (consumer) expect(alarm.MetricName, `${alarm.id}: ${queue} is emptied by ${consumer} within seconds, so its depth never shows what passed through`).not.toMatch(/^Approximate/);
      if (deadLetterQueues.includes(queue)) expect(alarm.MetricName, `${alarm.id}: SQS does not count redriven messages in NumberOfMessagesSent`).not.toBe('NumberOfMessagesSent');
    }
    expect(deadLetterQueues.sort()).toEqual(['NotificationDeadLetterQueue', 'TickDeadLetterQueue']);
  });
});
