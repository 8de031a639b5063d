// "No query scans a table per request": every statement the repository sends is planned by PostgreSQL with
// sequential scans switched off; a Seq Scan that remains means no index can serve that lookup.

import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exerciseEveryMethod } from './exercise';
import { createPostgresStore, postgresUrl, type TestStore } from './support/stores';

let store: TestStore;
let client: pg.Client;
beforeAll(async () => {
  store = await createPostgresStore();
  client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await store?.close();
});

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] };
const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

it('plans every statement of every port method with an index, never a sequential scan', async () => {
  store.counter.reset();
  await exerciseEveryMethod(store.repository);
  const statements = new Map<string, unknown[]>();
  for (const { sql, args } of store.counter.statements) {
    // WITH: the IST exchanges (a DELETE and an INSERT, and an UPDATE, in one statement) and the session extensions
    // that spend a step or a code; EXPLAIN plans without running.
    if (/^\s*(SELECT|UPDATE|DELETE|WITH)/i.test(sql)) statements.set(sql, args);
  }
  expect(statements.size).toBeGreaterThan(15);
  // The raw statements are among them: every findMfaContext variant exercised, the exchange and the extensions.
  expect([...statements.keys()].filter((sql) => /^SELECT .* FROM \(SELECT 1 AS "one"\) AS "q"/.test(sql))).toHaveLength(8);
  expect([...statements.keys()].filter((sql) => /^WITH "consumed" AS \(DELETE/.test(sql))).toHaveLength(1);
  // The exchanges that spend a time step or a recovery code: the IST locked, the step updated or the code deleted.
  expect([...statements.keys()].filter((sql) => /^WITH "live" AS \(SELECT 1 FROM .* FOR UPDATE\), "spent" AS \(UPDATE .*, "consumed" AS \(DELETE/.test(sql))).toHaveLength(1);
  expect([...statements.keys()].filter((sql) => /^WITH "live" AS \(SELECT 1 FROM .* FOR UPDATE\), "spent" AS \(DELETE .*, "consumed" AS \(DELETE/.test(sql))).toHaveLength(1);
  // The session extensions: without a spend one UPDATE; with one, the session locked, the spend, then its UPDATE.
  expect([...statements.keys()].filter((sql) => /^UPDATE \S+ AS "s" SET .* RETURNING /.test(sql))).toHaveLength(1);
  expect([...statements.keys()].filter((sql) => /^WITH "live" AS \(SELECT 1 FROM .* FOR UPDATE\), "spent" AS \(UPDATE .*, "extended" AS \(UPDATE/.test(sql))).toHaveLength(1);
  expect([...statements.keys()].filter((sql) => /^WITH "live" AS \(SELECT 1 FROM .* FOR UPDATE\), "spent" AS \(DELETE .*, "extended" AS \(UPDATE/.test(sql))).toHaveLength(1);

  const scans: string[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SET LOCAL enable_seqscan = off');
    for (const [sql, args] of statements) {
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, args);
      const plan = (rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan;
      for (const node of nodesOf(plan)) {
        if (node['Node Type'] === 'Seq Scan') scans.push(`${node['Relation Name']}: ${sql}`);
      }
    }
    // The check itself: a lookup on a column without an index does show up.
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) SELECT * FROM ${store.qualify('totp_members')} WHERE name = $1`, ['x']);
    expect(nodesOf((rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan).map((n) => n['Node Type'])).toContain('Seq Scan');
  } finally {
    await client.query('ROLLBACK');
  }
  expect(scans).toEqual([]);
});
