// The list of test projects: every package with a vitest.config.ts. vitest 4 no longer reads this file on
// its own: vitest.config.ts imports it as `test.projects`, so this stays the one place that says what runs.
export default ['packages/*'];
