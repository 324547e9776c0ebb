/**
 * Import rules (STYLE §1, §2, §12, §18): imports point one way, and `npm run lint` fails when one
 * points back. Every rule is an error.
 *
 *   app → components                                   (pages compose components)
 *   app/api → server/{api,http,mcp}                    (route files are shims; server/mcp serves MCP over server/http)
 *   server/{api,http} → server/runtime (wiring only: api/trpc.ts and http/services.ts)
 *   server/{api,http} → server/{approvals,observability,audit,demo}     (read models, the demo publisher)
 *                     → server/{engine,agents} → server/{spine,workflows} → server/db
 *   server/{auth,net}: low, importable by all; they import only the spine and db below them (auth) or
 *                     nothing of Spine but errors (net). server/errors.ts, env.ts, secretFiles.ts: leaves.
 *
 * Each server/ folder is entered through its index.ts (or an isomorphic leaf): `@/server/agents`, never
 * `@/server/agents/registry`. Tests, contract suites, fixtures, server/testing and bench/ reach inside.
 *
 * Inside the engine, `run/` and `primitives/` are the pure core: no I/O (database, agents, network,
 * runtime, node:*, the engine's I/O shell). Production code never imports server/testing/; routers take
 * the database and the runtime's services from the tRPC context, never from server/db or server/runtime.
 *
 * `components/` (and pages) run in the browser, so at run time they may import only the isomorphic
 * leaves of server/ (zod and plain TS); anything else from server/ must be `import type`.
 */

/** Server files that are safe in the browser: zod and plain TypeScript, no node:*, no database. */
const ISOMORPHIC_LEAVES = '^server/(workflows/(schema|validate|expressions)|spine/(events|envelope|jsonDiff)|auth/roles|contracts/compatibility)\\.ts$';
/** A folder's entry: what the folder offers the rest of Spine. */
const FOLDER_ENTRY = '^server/[^/]+/index\\.ts$';
/** Test files run in Node under vitest, never in the browser bundle. */
const TESTS = '\\.test\\.tsx?$';
/** Test support beside the code: contract suites and recorded-fixture tooling (they run only under tests). */
const TEST_SUPPORT = ['\\.contract\\.ts$', '/__fixtures__/'];
/** The read models: the approval inbox, the dashboard's views and the audit service. */
const READ_MODELS = '^server/(approvals|observability|audit)/';
/** The engine's pure core, by folder (files may move between them). */
const PURE_CORE = '^server/engine/(run|primitives)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'server-no-ui-frameworks',
      comment: 'server/ is a library: it never imports React, Next.js or the React bindings of tRPC/TanStack.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^node_modules/(react|react-dom|next|@tanstack/react-query|@trpc/(client|tanstack-react-query|next|react-query))/' },
    },
    {
      name: 'trpc-only-in-server-api',
      comment:
        'Only server/api/ speaks tRPC; other server code is called by it. Tests may drive a procedure ' +
        '(server/errors.test.ts checks that tRPC answers each error code with its status).',
      severity: 'error',
      from: { path: '^server/', pathNot: ['^server/api/', TESTS] },
      to: { path: '^node_modules/@trpc/' },
    },
    {
      name: 'no-trpc-internals',
      comment: 'Never import @trpc/server/unstable-core-do-not-import.',
      severity: 'error',
      from: {},
      to: { path: 'unstable-core-do-not-import' },
    },
    {
      name: 'ui-imports-server-types-only',
      comment:
        'Components and pages may import at run time only the isomorphic server leaves; anything else from server/ must be `import type`. ' +
        'components/trpc/server.ts (server-only RSC prefetch) and tests (they run in Node) are the exceptions.',
      severity: 'error',
      from: { path: '^(components|app)/', pathNot: ['^(app/api/|components/trpc/server\\.ts$)', TESTS] },
      to: { path: '^server/', pathNot: ISOMORPHIC_LEAVES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'isomorphic-leaves-no-node',
      comment: 'The isomorphic leaves run in the browser too: no node:* modules.',
      severity: 'error',
      from: { path: ISOMORPHIC_LEAVES },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'isomorphic-leaves-no-server',
      comment:
        'The isomorphic leaves import from server/ only each other and server/errors.ts (plain TS), and no database package, ' +
        'so the browser can load them.',
      severity: 'error',
      from: { path: ISOMORPHIC_LEAVES },
      to: {
        path: '^(server/|generated/|node_modules/(@prisma/|prisma/|better-sqlite3/|pg/))',
        pathNot: `${ISOMORPHIC_LEAVES}|^server/errors\\.ts$`,
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'route-files-are-shims',
      comment: 'app/api route files only hand the request to server/api (tRPC), server/http (public API) or server/mcp (MCP).',
      severity: 'error',
      from: { path: '^app/api/' },
      to: { path: '^server/', pathNot: '^server/(api|http|mcp)/' },
    },
    {
      name: 'server-not-into-app',
      comment: 'server/ never imports app/ or components/.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^(app|components)/' },
    },
    {
      name: 'engine-not-into-transport',
      comment: 'The engine, agents and the demo never import a router or an HTTP handler.',
      severity: 'error',
      from: { path: '^server/(engine|agents|demo)/' },
      to: { path: '^server/(api|http|mcp)/' },
    },
    {
      name: 'evaluations-above-engine',
      comment: 'server/evaluations drives the engine (forks) and the registry; nothing below them calls it back.',
      severity: 'error',
      from: { path: '^server/(engine|agents|spine|workflows|db|contracts)/', pathNot: TESTS },
      to: { path: '^server/evaluations/' },
    },
    {
      name: 'spine-and-workflows-are-lower',
      comment: 'server/spine and server/workflows sit below the engine, agents and transports, and below the runtime that wires them.',
      severity: 'error',
      from: { path: '^server/(spine|workflows)/' },
      to: { path: '^server/((api|http|engine|agents|demo)/|runtime\\.ts$)' },
    },
    {
      name: 'db-is-lowest',
      comment: 'server/db knows nothing above it.',
      severity: 'error',
      from: { path: '^server/db/' },
      to: { path: '^server/((api|http|engine|agents|demo|spine|workflows)/|runtime\\.ts$)' },
    },
    {
      name: 'read-models-above-engine',
      comment:
        'approvals/, observability/ and audit/ read the spine and the engine; nothing below them (engine, agents, spine, ' +
        'workflows, db, auth, net) imports them.',
      severity: 'error',
      from: { path: '^server/(engine|agents|spine|workflows|db|auth|net)/', pathNot: TESTS },
      to: { path: READ_MODELS },
    },
    {
      name: 'read-models-below-transport',
      comment: 'The read models never import a router, an HTTP handler, the runtime, the demo or test helpers.',
      severity: 'error',
      from: { path: READ_MODELS, pathNot: [TESTS, ...TEST_SUPPORT] },
      to: { path: '^server/((api|http|demo|testing)/|runtime\\.ts$)' },
    },
    {
      name: 'read-models-side-by-side',
      comment: 'approvals, observability and audit do not import one another (each reads the log through @/server/spine).',
      severity: 'error',
      from: { path: READ_MODELS, pathNot: TESTS },
      // $1 is the folder the import starts from: a read model may import its own files.
      to: { path: READ_MODELS, pathNot: '^server/$1/' },
    },
    {
      name: 'auth-and-net-are-low',
      comment:
        'server/auth and server/net sit low, so everything may import them: auth may use the spine and the db below it, ' +
        'net only server/errors.ts and server/env.ts.',
      severity: 'error',
      from: { path: '^server/(auth|net)/', pathNot: TESTS },
      to: { path: '^server/((engine|agents|approvals|observability|audit|api|http|demo|testing)/|runtime\\.ts$)' },
    },
    {
      name: 'net-is-a-leaf',
      comment: 'server/net (the outbound HTTP guard, webhook signatures) imports nothing of Spine but errors and env.',
      severity: 'error',
      from: { path: '^server/net/' },
      to: { path: '^server/', pathNot: '^server/(net/|(errors|env)\\.ts$)' },
    },
    {
      name: 'runtime-wired-in-two-places',
      comment:
        'Only the tRPC context (server/api/trpc.ts) and the HTTP services (server/http/services.ts) take the process runtime; ' +
        'everything else is given what it needs. Routers and /api/v1 handlers never reach for it.',
      severity: 'error',
      from: { path: '^server/', pathNot: ['^server/(api/trpc|http/services|runtime)\\.ts$', '^server/testing/', TESTS, ...TEST_SUPPORT] },
      to: { path: '^server/runtime\\.ts$' },
    },
    {
      name: 'routers-take-db-from-context',
      comment: 'Routers take the database and the services from the tRPC context (ctx.db, ctx.engine …), never from server/db or server/runtime, not even as types.',
      severity: 'error',
      from: { path: '^server/api/routers/', pathNot: TESTS },
      to: { path: '^server/(db/|runtime\\.ts$)' },
    },
    {
      name: 'engine-core-no-io',
      comment:
        'server/engine/run and server/engine/primitives are the pure core (decide, evolve, one file per primitive): they import ' +
        'no database, agents, network, runtime or node:* module, and none of the engine shell (engine, runActor, dispatcher, ' +
        'triggers, service, appends …). They may import the spine types and events, server/workflows (not its store), ' +
        'server/errors, server/auth/roles and engine/{ids,events,graph}.',
      severity: 'error',
      from: { path: PURE_CORE, pathNot: TESTS },
      to: {
        path: [
          '^server/(db|agents|net|approvals|observability|audit|api|http|demo|testing)/',
          '^server/(runtime|env|secretFiles)\\.ts$',
          '^server/auth/(?!roles\\.ts$)',
          '^server/workflows/(store|library)\\.ts$',
          '^server/spine/(log/|subscriptions|publishing|runIndex|blobs|cloudEvents)',
          '^server/engine/(?!(ids|events|graph)\\.ts$|run/|primitives/)',
          '^(generated/|node_modules/(@prisma/|prisma/|better-sqlite3/|pg/|undici/))',
        ],
      },
    },
    {
      name: 'engine-core-no-node',
      comment: 'The pure core imports no node:* module (no clock, file, network or crypto: the shell passes them in).',
      severity: 'error',
      from: { path: PURE_CORE, pathNot: TESTS },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'engine-core-no-spine-runtime',
      comment: 'From the entry of the spine (server/spine/index.ts, which opens logs) the pure core takes types only.',
      severity: 'error',
      from: { path: PURE_CORE, pathNot: TESTS },
      to: { path: '^server/spine/index\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'production-not-into-testing',
      comment: 'Production code never imports server/testing/ (test harnesses, throwaway databases); tests and test support do.',
      severity: 'error',
      from: { path: '^(server|app|components)/', pathNot: ['^server/testing/', TESTS, ...TEST_SUPPORT] },
      to: { path: '^server/testing/' },
    },
    {
      name: 'scripts-and-bench-are-leaves',
      comment: 'scripts/ and bench/ use server/; nothing in server/, app/ or components/ imports them.',
      severity: 'error',
      from: { path: '^(server|app|components)/', pathNot: TESTS },
      to: { path: '^(scripts|bench)/' },
    },
    {
      name: 'database-access-in-named-places',
      comment:
        'STYLE §12: only server/db, the spine log hot path, **/store.ts, test helpers and tests touch Prisma or a driver.',
      severity: 'error',
      from: { path: '^(server|app|components)/', pathNot: ['^server/(db/|spine/log/|testing/|.+/store\\.ts$)', TESTS] },
      to: {
        path: '^(generated/|node_modules/(@prisma/|prisma/|better-sqlite3/|pg/))',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'folder-entry-only',
      comment:
        'A server/ folder is entered through its index.ts (as Langfuse\'s rfc08-features-via-index): a file of one ' +
        'folder imports another folder\'s entry, never a file inside it. The isomorphic leaves are entries too (the ' +
        'browser imports them alone). Tests, contract suites, fixtures and server/testing reach inside on purpose.',
      severity: 'error',
      from: { path: '^server/([^/]+)/', pathNot: [TESTS, ...TEST_SUPPORT, '^server/(testing|spine)/'] },
      to: { path: '^server/[^/]+/', pathNot: ['^server/$1/', FOLDER_ENTRY, ISOMORPHIC_LEAVES] },
    },
    {
      name: 'folder-entry-only-spine',
      comment:
        'The same for the spine, with one exception: it opens its own connections (migrations, the SQLite file) ' +
        'from server/db/migrate.ts and sqlite.ts, so a process that runs only the log never loads the Prisma client ' +
        'behind server/db\'s entry (13 MiB of RSS, as npm run bench measured).',
      severity: 'error',
      from: { path: '^server/spine/', pathNot: [TESTS, ...TEST_SUPPORT] },
      to: { path: '^server/[^/]+/', pathNot: ['^server/spine/', FOLDER_ENTRY, ISOMORPHIC_LEAVES, '^server/db/(migrate|sqlite)\\.ts$'] },
    },
    {
      name: 'folder-entry-only-from-outside',
      comment:
        'Pages, components, scripts and the files at server/\'s root (runtime.ts) enter a server/ folder through its ' +
        'index.ts or an isomorphic leaf. bench/ is exempt: it measures internals.',
      severity: 'error',
      from: { path: '^(app|components|scripts)/|^server/[^/]+\\.ts$', pathNot: TESTS },
      to: { path: '^server/[^/]+/', pathNot: [FOLDER_ENTRY, ISOMORPHIC_LEAVES] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(\\.next|generated)/' },
    // Keep type-only imports in the graph (labelled 'type-only') so the rules above can allow them.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
