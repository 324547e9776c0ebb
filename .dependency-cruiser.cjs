/**
 * Import rules (STYLE §1, §2, §12, §18): imports point one way, and `npm run lint` fails when one
 * points back.
 *
 *   app → components                                   (pages compose components)
 *   app/api → server/{api,http}                        (route files are shims)
 *   server/{api,http} → server/{engine,agents} → server/{spine,workflows} → server/db
 *
 * `components/` (and pages) run in the browser, so at run time they may import only the isomorphic
 * leaves of server/ (zod and plain TS); anything else from server/ must be `import type`.
 */

/** Server files that are safe in the browser: zod and plain TypeScript, no node:*, no database. */
const ISOMORPHIC_LEAVES = '^server/(workflows/(schema|validate|expressions)|spine/events|auth/roles)\\.ts$';
/** Test files run in Node under vitest, never in the browser bundle. */
const TESTS = '\\.test\\.tsx?$';

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
      comment: 'app/api route files only hand the request to server/api (tRPC) or server/http (public API).',
      severity: 'error',
      from: { path: '^app/api/' },
      to: { path: '^server/', pathNot: '^server/(api|http)/' },
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
      to: { path: '^server/(api|http)/' },
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
      name: 'database-access-in-named-places',
      comment:
        'STYLE §12: only server/db, the spine log hot path, **/store.ts, test helpers and tests touch Prisma or a driver. ' +
        'A warning for now: it reports, it does not fail the lint.',
      severity: 'warn',
      from: { path: '^(server|app|components)/', pathNot: ['^server/(db/|spine/log/|testing/|.+/store\\.ts$)', TESTS] },
      to: {
        path: '^(generated/|node_modules/(@prisma/|prisma/|better-sqlite3/|pg/))',
        dependencyTypesNot: ['type-only'],
      },
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
