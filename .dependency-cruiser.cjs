/**
 * The layering of the code, checked by `npm test` (test/unit/structure.test.ts):
 *   platform  -> platform only (config, logging, transports, stage runner, HTTP server, engines)
 *   schemas   -> platform
 *   features  (ingest, resolver, enrich, warehouse) -> platform, schemas, their own folder and
 *             each other's public entry (index.ts)
 *   api       -> features' public entries, platform, schemas
 *   app       -> everything (the composition root: CLI, start-up wiring, commands)
 * and no import cycles anywhere.
 */
const FEATURES = '(ingest|resolver|enrich|warehouse)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'An import cycle: two modules that cannot be understood apart.',
      severity: 'error',
      from: { path: '^(platform|schemas|ingest|resolver|enrich|warehouse|api|app|bench|scripts)/' },
      to: { circular: true },
    },
    {
      name: 'platform-imports-platform',
      comment: 'platform/ is the bottom layer: what it needs of the rest comes in as arguments.',
      severity: 'error',
      from: { path: '^platform/' },
      to: { path: '^(schemas|ingest|resolver|enrich|warehouse|api|app|bench|test)/' },
    },
    {
      name: 'schemas-import-platform',
      comment: 'schemas/ may use platform/ and nothing above it.',
      severity: 'error',
      from: { path: '^schemas/' },
      to: { path: '^(ingest|resolver|enrich|warehouse|api|app|bench|test)/' },
    },
    {
      name: 'features-through-public-entries',
      comment: "A feature folder reaches another only through that folder's index.ts.",
      severity: 'error',
      from: { path: `^${FEATURES}/` },
      to: { path: `^${FEATURES}/`, pathNot: ['^$1/', `^${FEATURES}/index\\.ts$`] },
    },
    {
      name: 'features-below-api-and-app',
      comment: 'Feature folders do not import the API, the composition root, benchmarks or tests.',
      severity: 'error',
      from: { path: `^${FEATURES}/` },
      to: { path: '^(api|app|bench|test)/' },
    },
    {
      name: 'api-through-public-entries',
      comment: "The HTTP API reaches a feature folder only through its index.ts.",
      severity: 'error',
      from: { path: '^api/' },
      to: { path: `^${FEATURES}/`, pathNot: `^${FEATURES}/index\\.ts$` },
    },
    {
      name: 'api-below-app',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^(app|bench|test)/' },
    },
    {
      name: 'product-code-without-tests',
      comment: 'Product code and tools never import test code.',
      severity: 'error',
      from: { path: '^(platform|schemas|ingest|resolver|enrich|warehouse|api|app|bench|scripts)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|scratch-dbg)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.cjs'] },
  },
};
