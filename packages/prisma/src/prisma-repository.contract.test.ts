// The shared contract suites of @totp/core/testing, unchanged, on a real SQLite file and on a real PostgreSQL server,
// each also over a client whose tables and columns are all renamed.

import { runRepositoryContract } from '@totp/core/testing';
import { createPostgresStore, createRenamedPostgresStore, createRenamedSqliteStore, createSqliteStore } from '../test/support/stores';

runRepositoryContract({ name: 'prisma (sqlite)', createStore: () => createSqliteStore() });
// A host whose @@map/@map rename every table and column, passing the names as `tableNames`.
runRepositoryContract({ name: 'prisma (sqlite, renamed tables)', createStore: () => createRenamedSqliteStore() });

runRepositoryContract({ name: 'prisma (postgresql)', createStore: () => createPostgresStore(), timeoutMs: 60_000 });
// As docs/prisma.md recommends for a client that runs only these statements: each prepared once per connection.
runRepositoryContract({
  name: 'prisma (postgresql, prepared statements)',
  createStore: () => createPostgresStore({ preparedStatements: true }),
  timeoutMs: 60_000,
});
// A host whose @@map/@map rename every table and column, passing the names as `tableNames`.
runRepositoryContract({ name: 'prisma (postgresql, renamed tables)', createStore: () => createRenamedPostgresStore(), timeoutMs: 60_000 });
