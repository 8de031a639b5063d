// PostgreSQL behind PgBouncer in transaction pooling mode, where many server processes on one database usually sit: the
// contract suites through it with statements unnamed (Prisma's default), and why named (prepared) statements must stay
// off before PgBouncer 1.21: a server connection serves many clients in turn, so a name one client prepared is missing,
// or already another client's, on the connection its next statement gets. processes.race.test.ts races through it too.

import { PrismaPg } from '@prisma/adapter-pg';
import { runRepositoryContract } from '@totp/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PrismaClient } from '../generated/postgresql/client/client.ts';
import { preparedStatementNames } from '../src/prepared-statements';
import { createPostgresStore, pgbouncer } from './support/stores';

const bouncer = pgbouncer();

describe.skipIf(bouncer.skip !== null)(bouncer.skip ?? 'PostgreSQL through PgBouncer, transaction pooling', () => {
  runRepositoryContract({
    name: 'prisma (postgresql through PgBouncer, transaction pooling)',
    createStore: () => createPostgresStore({ url: bouncer.url() }),
    timeoutMs: 60_000,
  });

  it('before PgBouncer 1.21, named statements collide: a second client preparing the same name on a pooled connection fails', async () => {
    const admin = new pg.Client({ connectionString: bouncer.url().replace(/\/[^/]*$/, '/pgbouncer') });
    await admin.connect();
    // The admin console speaks the simple query protocol only.
    const version = (await admin.query('SHOW VERSION')).rows[0] as Record<string, string>;
    await admin.end();
    const [major, minor] = /PgBouncer (\d+)\.(\d+)/.exec(Object.values(version)[0]!)!.slice(1).map(Number) as [number, number];
    if (major > 1 || minor >= 21) return; // 1.21 and later track protocol-level prepared statements (max_prepared_statements)
    // Two clients, each with its own names: both call their first statement `totp_0`. PgBouncer hands the second one the
    // server connection the first just used, where `totp_0` already exists.
    const clients = [0, 1].map(
      () =>
        new PrismaClient({
          adapter: new PrismaPg({ connectionString: bouncer.url(), max: 1 }, { statementNameGenerator: preparedStatementNames() }),
        }),
    );
    try {
      const query = 'SELECT $1::int AS n';
      await clients[0]!.$queryRawUnsafe(query, 1);
      await expect(clients[1]!.$queryRawUnsafe(query, 2)).rejects.toThrow(/prepared statement "totp_0" (already exists|does not exist)/);
    } finally {
      await Promise.all(clients.map((c) => c.$disconnect()));
    }
  });
});
