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
    // WITH: the two PostgreSQL statements of beginMfaAttempt and grantMfaSession; EXPLAIN plans without running.
    if (/^\s*(SELECT|UPDATE|DELETE|WITH)/i.test(sql)) statements.set(sql, args);
  }
  expect(statements.size).toBeGreaterThan(15);
  // The two raw statements are among them: every beginMfaAttempt variant exercised, and each grant's target and spend.
  expect([...statements.keys()].filter((sql) => /^WITH "o" AS \(SELECT/.test(sql))).toHaveLength(3 * 3 * 3 * 2);
  for (const [target, spent] of [
    ['"consumed" AS \\(DELETE', '"spent" AS \\(UPDATE'],
    ['"consumed" AS \\(DELETE', '"spent" AS \\(DELETE'],
    ['"session" AS \\(UPDATE', '"spent" AS \\(UPDATE'],
    ['"session" AS \\(UPDATE', '"spent" AS \\(DELETE'],
  ]) {
    expect(
      [...statements.keys()].filter((sql) => new RegExp(`^WITH "live" AS .*${spent}.*${target}`).test(sql)).length,
    ).toBeGreaterThanOrEqual(1);
  }

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
