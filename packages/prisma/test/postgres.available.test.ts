// The PostgreSQL tests never skip: without a server this test fails, saying how to provide one.

import pg from 'pg';
import { expect, it } from 'vitest';
import { postgresUrl } from './support/stores';

it('has a PostgreSQL server to run the PostgreSQL tests against (TOTP_TEST_POSTGRES_URL, or initdb to start one)', async () => {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: number }>('SELECT current_setting($1)::int AS v', ['server_version_num']);
    expect(rows[0]!.v).toBeGreaterThanOrEqual(130000);
  } finally {
    await client.end();
  }
});
