// The architecture's boundaries (../shared/style.md "Boundaries we keep") as lint rules, one rule per boundary so a
// failure names the boundary it breaks. Imports are resolved to repository paths (relative paths, the @kb4/* aliases
// and baseUrl-rooted 'apps/…' paths alike), so a deep '../../../poller/src/x' is caught as surely as an alias.
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const LIB_ALIAS = /^@kb4\/([^/]+)(\/.*)?$/;

/** Where a repository path sits: an app, a lib, scripts/, or elsewhere (test/, bench/, packages). */
function areaOf(relative) {
  const parts = relative.split('/');
  if (parts[0] === 'apps' && parts[1]) return { kind: 'app', name: parts[1] };
  if (parts[0] === 'libs' && parts[1]) return { kind: 'lib', name: parts[1] };
  if (parts[0] === 'scripts') return { kind: 'scripts', name: 'scripts' };
  return { kind: 'other', name: parts[0] };
}

function toRepoPath(absolute) {
  return path.relative(ROOT, absolute).split(path.sep).join('/');
}

/** The area an import specifier lands in, or undefined for a package from node_modules. */
function targetOf(specifier, importerFile) {
  const alias = LIB_ALIAS.exec(specifier);
  if (alias) return { kind: 'lib', name: alias[1] };
  if (specifier.startsWith('.')) return areaOf(toRepoPath(path.resolve(path.dirname(importerFile), specifier)));
  if (/^(apps|libs|scripts)\//.test(specifier)) return areaOf(specifier);
  return undefined;
}

function typeOnly(node) {
  if (node.type === 'ImportDeclaration') {
    return node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'));
  }
  if (node.type === 'ExportNamedDeclaration') {
    return node.exportKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.exportKind === 'type'));
  }
  if (node.type === 'ExportAllDeclaration') return node.exportKind === 'type';
  return false; // require() and import() always load code
}

/**
 * One import rule: `check(importer, target, node)` returns the message data when the import breaks the boundary.
 * Every import form is checked: import/export … from, import(), require().
 */
function importRule(description, message, check) {
  return {
    meta: { type: 'problem', docs: { description }, schema: [], messages: { broken: message } },
    create(context) {
      const importer = areaOf(toRepoPath(context.filename));
      const visit = (node, source) => {
        if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
        const target = targetOf(source.value, context.filename);
        if (!target) return;
        const data = check(importer, target, node);
        if (data) context.report({ node: source, messageId: 'broken', data: { ...data, specifier: source.value } });
      };
      return {
        ImportDeclaration: (node) => visit(node, node.source),
        ExportNamedDeclaration: (node) => visit(node, node.source),
        ExportAllDeclaration: (node) => visit(node, node.source),
        ImportExpression: (node) => visit(node, node.source),
        TSImportEqualsDeclaration: (node) =>
          node.moduleReference.type === 'TSExternalModuleReference' && visit(node, node.moduleReference.expression),
        CallExpression: (node) =>
          node.callee.type === 'Identifier' && node.callee.name === 'require' && visit(node, node.arguments[0]),
      };
    },
  };
}

const rules = {
  'no-app-imports-app': importRule(
    'an app never imports another app; what two apps share lives in a lib',
    'boundaries/no-app-imports-app: apps/{{from}} may not import apps/{{to}} ({{specifier}}); move what they share into a lib',
    (from, to) => from.kind === 'app' && to.kind === 'app' && from.name !== to.name && { from: from.name, to: to.name },
  ),
  'no-lib-imports-app': importRule(
    'a lib never imports an app',
    'boundaries/no-lib-imports-app: libs/{{from}} may not import apps/{{to}} ({{specifier}})',
    (from, to) => from.kind === 'lib' && to.kind === 'app' && { from: from.name, to: to.name },
  ),
  'contracts-imports-no-lib': importRule(
    'libs/contracts depends on no other lib, so any consumer can depend on it alone',
    'boundaries/contracts-imports-no-lib: libs/contracts may not import libs/{{to}} ({{specifier}}), not even types',
    (from, to) => from.kind === 'lib' && from.name === 'contracts' && to.kind === 'lib' && to.name !== 'contracts' && { to: to.name },
  ),
  'client-imports-no-lib': importRule(
    'libs/client (the typed API client) depends on no other lib: it is the published contract, usable from anywhere',
    'boundaries/client-imports-no-lib: libs/client may not import libs/{{to}} ({{specifier}}), not even types',
    (from, to) => from.kind === 'lib' && from.name === 'client' && to.kind === 'lib' && to.name !== 'client' && { to: to.name },
  ),
  'mapping-imports-types-only': importRule(
    'libs/mapping is pure: it imports only types from other libs',
    'boundaries/mapping-imports-types-only: libs/mapping may import only types from libs/{{to}} ({{specifier}}); use `import type`',
    (from, to, node) =>
      from.kind === 'lib' && from.name === 'mapping' && to.kind === 'lib' && to.name !== 'mapping' && !typeOnly(node) && { to: to.name },
  ),
  'sandbox-imports-no-lib': importRule(
    'the KnowBe4 sandbox is written from KnowBe4 behaviour, not from our code: it imports no lib',
    'boundaries/sandbox-imports-no-lib: apps/knowbe4-sandbox may not import libs/{{to}} ({{specifier}})',
    (from, to) => from.kind === 'app' && from.name === 'knowbe4-sandbox' && to.kind === 'lib' && { to: to.name },
  ),
  'scripts-use-no-app-internals': importRule(
    'scripts (npm start, migrations) use libs or the HTTP API, never app internals',
    'boundaries/scripts-use-no-app-internals: scripts may not import apps/{{to}} ({{specifier}}); use a lib or the HTTP API',
    (from, to) => from.kind === 'scripts' && to.kind === 'app' && { to: to.name },
  ),
  'sql-only-in-persistence': {
    meta: {
      type: 'problem',
      docs: { description: 'SQL is written only in libs/persistence, behind intent-named repository methods' },
      schema: [],
      messages: {
        broken:
          'boundaries/sql-only-in-persistence: `.{{method}}(…)` runs SQL outside libs/persistence; add an intent-named repository method there',
      },
    },
    create(context) {
      return {
        // `x.query(…)` / `x.createQueryBuilder(…)` whatever `x` is (DataSource, EntityManager, QueryRunner, pg Client/Pool)
        'CallExpression > MemberExpression.callee[property.type="Identifier"][property.name=/^(query|createQueryBuilder)$/]'(node) {
          context.report({ node, messageId: 'broken', data: { method: node.property.name } });
        },
      };
    },
  },
};

export default { meta: { name: 'kb4-boundaries' }, rules };
