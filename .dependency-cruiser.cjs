/**
 * The house's layering, checked by `npm test` (`npm run lint:deps`): no import cycles, a pure domain,
 * SDK adapters that know only the domain, and production code that never reaches into the local
 * simulators. A rule broken here is a design question, not a lint nit: fix the import, not the rule.
 */

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes load order matter and hides which module owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'shared/domain holds the rules: it imports nothing of ours outside shared/domain.',
      from: { path: '^shared/domain/' },
      to: { dependencyTypesNot: ['npm', 'npm-dev', 'core'], pathNot: '^shared/domain/' },
    },
    {
      name: 'production-code-not-local',
      severity: 'error',
      comment: 'What deploys (functions/, shared/) never imports the local simulators.',
      from: { path: '^(functions|shared)/' },
      to: { path: '^(local|packages)/' },
    },
    {
      name: 'aws-adapters-know-only-the-domain',
      severity: 'error',
      comment: 'shared/aws speaks SDK in the domain words: it imports only shared/aws and shared/domain.',
      from: { path: '^shared/aws/' },
      to: { dependencyTypesNot: ['npm', 'npm-dev', 'core'], pathNot: '^shared/(aws|domain)/' },
    },
    {
      name: 'cli-knows-only-the-domain',
      severity: 'error',
      comment:
        'The CLI talks to the API over HTTP; of our code it shares only shared/domain types and rules, and the route table its requests go to.',
      from: { path: '^cli/' },
      to: {
        path: '^(functions|shared|local|packages|scripts)/',
        pathNot: '^shared/(domain/|http/routes[.](ts|json)$)',
      },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import that resolves to nothing fails at run time. aws-lambda is types only ' +
        '(@types/aws-lambda): its imports are erased at build time and tsc checks them.',
      from: {},
      to: { couldNotResolve: true, pathNot: '^aws-lambda$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'],
    },
  },
};
