// A host that renamed our tables and columns (docs/prisma.md, "The PostgreSQL statements and your names"): the rule that turns
// prisma/totp.prisma and the shipped migrations into that host's, so the tests can run the repository over it.
// Used by generate-clients.mjs (the `*-renamed` clients) and test/support/stores.ts (their tables).
// Names with a dot, a space and capitals: raw SQL that forgot to quote an identifier, or used a default name, fails.

export const renameTable = (table) => `Acme.${table}`;
export const renameColumn = (column) => `Col ${column}`;

/** prisma/totp.prisma with every @@map and @map renamed (fields without @map keep their names as columns). */
export function renameSchema(models) {
  return models
    .replace(/@@map\("([^"]+)"\)/g, (_, table) => `@@map("${renameTable(table)}")`)
    .replace(/(?<!@)@map\("([^"]+)"\)/g, (_, column) => `@map("${renameColumn(column)}")`);
}

/** A shipped migration's SQL for those renamed tables: every quoted table or mapped column name of `models` renamed. */
export function renameSql(sql, models) {
  const tables = new Set([...models.matchAll(/@@map\("([^"]+)"\)/g)].map((m) => m[1]));
  const columns = new Set([...models.matchAll(/(?<!@)@map\("([^"]+)"\)/g)].map((m) => m[1]));
  return sql.replace(/"([^"]+)"/g, (token, name) => {
    if (tables.has(name)) return `"${renameTable(name)}"`;
    if (columns.has(name)) return `"${renameColumn(name)}"`;
    return token;
  });
}
