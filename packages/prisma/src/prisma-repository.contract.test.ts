import { runRepositoryContract } from '@totp/core/testing';
import { createPostgresStore, createSqliteStore } from '../test/support/stores';

// The shared contract suite, unchanged, on a real SQLite file and on a real PostgreSQL server.
runRepositoryContract({ name: 'prisma (sqlite)', createStore: () => createSqliteStore() });
runRepositoryContract({ name: 'prisma (postgresql)', createStore: () => createPostgresStore(), timeoutMs: 60_000 });
// As docs/prisma.md recommends for a client that runs only these statements: each prepared once per connection.
runRepositoryContract({
  name: 'prisma (postgresql, prepared statements)',
  createStore: () => createPostgresStore({ preparedStatements: true }),
  timeoutMs: 60_000,
});
