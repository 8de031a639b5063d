// The list of test projects. vitest 4 no longer reads this file on its own:
// vitest.config.ts imports it as `test.projects`, so this stays the one place to add a package.
export default ['packages/core', 'packages/memory'];
