// The raw SQL is built from the names the host's client carries (its runtime data model), quoted, with values only
// as positional parameters; and the rows it returns are read back into the delegates' row shapes whatever the driver
// made of each column's type.

import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { describe, expect, it } from 'vitest';
import { PrismaClient as PostgresClient } from '../../generated/postgresql/client/client.ts';
import { PrismaClient as RenamedPostgresClient } from '../../generated/postgresql-renamed/client/client.ts';
import { PrismaClient as RenamedSqliteClient } from '../../generated/sqlite-renamed/client/client.ts';
import { PrismaClient as SqliteClient } from '../../generated/sqlite/client/client.ts';
import {
  EXTEND_SESSION_PARAMS,
  buildExchangeStatement,
  buildExtendSessionStatement,
  buildMfaContextStatement,
  readPart,
  type MfaContextVariant,
} from './raw-statements';
import { RAW_MODELS, adapterSchemaOf, namesForClient, resolveNames, runtimeDataModelOf, type RuntimeDataModel } from './table-names';

/** A data model where every table and column has a name no default shares, some of them hostile to unquoted SQL. */
function renamedModel(schemaOf: (model: string) => string | null = () => null): RuntimeDataModel {
  const models: RuntimeDataModel['models'] = {};
  for (const [model, spec] of Object.entries(RAW_MODELS)) {
    models[model] = {
      dbName: `host "${spec.table}"`,
      schema: schemaOf(model),
      fields: [
        ...Object.entries(spec.fields).map(([field, [column]]) => ({ name: field, kind: 'scalar', dbName: `x.${column}` })),
        { name: 'someRelation', kind: 'object' },
      ],
    };
  }
  return { models };
}

const SHIPPED_NAMES = [
  ...Object.values(RAW_MODELS).map((m) => m.table),
  ...Object.values(RAW_MODELS).flatMap((m) => Object.values(m.fields).map(([column]) => column)),
];
/** Every `"…"` identifier of a statement (with "" read as one quote). */
const identifiers = (sql: string) => [...sql.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!.replace(/""/g, '"'));

const variants: MfaContextVariant[] = (['id', 'slug', 'externalId'] as const).flatMap((organizationBy) =>
  (['id', 'externalId'] as const).flatMap((memberBy) =>
    [false, true].flatMap((intermediateSession) => [false, true].map((memberSession) => ({ organizationBy, memberBy, intermediateSession, memberSession }))),
  ),
);

describe('resolveNames', () => {
  it('takes every table and column from the data model; the shipped names only when there is none', () => {
    const names = resolveNames(renamedModel(), 'tenant');
    expect(names.source).toBe('client');
    expect(names.tables.TotpMember).toMatchObject({ schema: 'tenant', table: 'host "totp_members"' });
    expect(names.tables.TotpMember.columns.memberId).toBe('x.member_id');
    expect(names.tables.TotpMember.columns.name).toBe('x.name');

    const shipped = resolveNames(undefined, null);
    expect(shipped.source).toBe('default');
    expect(shipped.tables.TotpRegistration).toEqual({
      schema: null,
      table: 'totp_registrations',
      columns: Object.fromEntries(Object.entries(RAW_MODELS.TotpRegistration.fields).map(([f, [c]]) => [f, c])),
    });
  });

  it('a model’s own schema wins over the default; a field without @map is its own column', () => {
    const model = renamedModel((m) => (m === 'TotpMemberSession' ? 'sessions' : null));
    model.models.TotpMember!.fields = model.models.TotpMember!.fields.map((f) => (f.name === 'name' ? { name: 'name', kind: 'scalar' } : f));
    const names = resolveNames(model, 'public');
    expect(names.tables.TotpMemberSession.schema).toBe('sessions');
    expect(names.tables.TotpMember.schema).toBe('public');
    expect(names.tables.TotpMember.columns.name).toBe('name');
    // SQLite: no schemas, whatever the model says.
    expect(resolveNames(model, null).tables.TotpMemberSession.schema).toBeNull();
  });

  it('refuses a data model without one of our models or fields', () => {
    const noModel = renamedModel();
    delete noModel.models.TotpIntermediateSession;
    expect(() => resolveNames(noModel, null)).toThrow(/no `TotpIntermediateSession` model/);
    const noField = renamedModel();
    noField.models.TotpRegistration!.fields = noField.models.TotpRegistration!.fields.filter((f) => f.name !== 'lastAcceptedStep');
    expect(() => resolveNames(noField, null)).toThrow(/`TotpRegistration` model has no `lastAcceptedStep` field/);
  });

  it('reads both generated clients at run time: their data model, and the schema given to PrismaPg', () => {
    const pg = new PostgresClient({ adapter: new PrismaPg({ connectionString: 'postgresql://nowhere:1/x' }, { schema: 'tenant_1' }) });
    const sqlite = new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: 'file::memory:' }) });
    for (const client of [pg, sqlite]) {
      expect(runtimeDataModelOf(client)?.models.TotpMember?.dbName).toBe('totp_members');
      // $extends keeps it reachable (the extended client forwards to the original).
      expect(runtimeDataModelOf(client.$extends({}))?.models.TotpMember?.dbName).toBe('totp_members');
    }
    expect(adapterSchemaOf(pg)).toBe('tenant_1');
    expect(adapterSchemaOf(sqlite)).toBeUndefined();

    const pgNames = namesForClient(pg, 'postgresql');
    expect(pgNames).toEqual({ ...resolveNames(undefined, 'tenant_1'), source: 'client' });
    expect(namesForClient(pg, 'postgresql', 'override').tables.TotpOrganization.schema).toBe('override');
    expect(namesForClient(new PostgresClient({ adapter: new PrismaPg({ connectionString: 'postgresql://nowhere:1/x' }) }), 'postgresql').tables.TotpMember.schema).toBe('public');
    expect(namesForClient(sqlite, 'sqlite')).toEqual({ ...resolveNames(undefined, null), source: 'client' });

    // The renamed clients (scripts/renamed-schema.mjs) carry the host's names.
    const renamed = namesForClient(new RenamedPostgresClient({ adapter: new PrismaPg({ connectionString: 'postgresql://nowhere:1/x' }) }), 'postgresql');
    expect(renamed.tables.TotpMember).toMatchObject({ schema: 'public', table: 'Acme.totp_members' });
    expect(renamed.tables.TotpMember.columns).toMatchObject({ memberId: 'Col member_id', name: 'name', status: 'status' });
    const renamedSqlite = namesForClient(new RenamedSqliteClient({ adapter: new PrismaBetterSqlite3({ url: 'file::memory:' }) }), 'sqlite');
    expect(renamedSqlite.tables.TotpRegistration.columns.lastAcceptedStep).toBe('Col last_accepted_step');
  });
});

describe('buildMfaContextStatement', () => {
  it('names only what the data model names, quoted, schema-qualified on PostgreSQL', () => {
    const names = resolveNames(renamedModel(), 'tenant "x"');
    for (const variant of variants) {
      const { sql } = buildMfaContextStatement(names, 'postgresql', variant);
      const used = identifiers(sql);
      for (const shipped of SHIPPED_NAMES) expect(used).not.toContain(shipped);
      expect(sql).toContain('"tenant ""x"""."host ""totp_organizations"""');
      expect(sql).toContain('"m"."x.organization_id" = "o"."x.organization_id"');
      expect(sql).not.toMatch(/\bFROM totp_|JOIN totp_/);
    }
    const sqlite = buildMfaContextStatement(resolveNames(renamedModel(), null), 'sqlite', variants[0]!).sql;
    expect(sqlite).toContain('LEFT JOIN "host ""totp_organizations""" AS "o"');
    expect(sqlite).not.toContain('tenant');
  });

  it('looks the organization and member up by the named key, every value a parameter, in order', () => {
    const names = resolveNames(undefined, 'public');
    const full = buildMfaContextStatement(names, 'postgresql', { organizationBy: 'slug', memberBy: 'externalId', intermediateSession: true, memberSession: true });
    expect(full.params).toEqual(['organization', 'member', 'intermediateSession', 'memberSession']);
    expect(full.sql).toContain('"o"."organization_slug" = $1');
    expect(full.sql).toContain('"m"."external_id" = $2');
    expect(full.sql).toContain('"i"."token_hash" = $3');
    expect(full.sql).toContain('"s"."token_hash" = $4');
    expect(full.sql).toContain(`"a"."status" = 'active'`);
    expect(full.sql).toContain(`"p"."status" = 'pending'`);

    const bare = buildMfaContextStatement(names, 'postgresql', { organizationBy: 'externalId', memberBy: 'id', intermediateSession: false, memberSession: true });
    expect(bare.params).toEqual(['organization', 'member', 'memberSession']);
    expect(bare.sql).toContain('"o"."organization_external_id" = $1');
    expect(bare.sql).toContain('"m"."member_id" = $2');
    expect(bare.sql).toContain('"s"."token_hash" = $3');
    expect(bare.sql).not.toContain('"i".');

    const sqlite = buildMfaContextStatement(resolveNames(undefined, null), 'sqlite', { organizationBy: 'id', memberBy: 'id', intermediateSession: true, memberSession: false });
    expect(sqlite.params).toEqual(['organization', 'member', 'intermediateSession']);
    expect(sqlite.sql.match(/\?/g)).toHaveLength(3);
    expect(sqlite.sql).not.toMatch(/\$\d/);
  });
});

describe('buildExchangeStatement', () => {
  it('is one DELETE … RETURNING and one INSERT … SELECT FROM it, over the data model’s names', () => {
    const { sql, params } = buildExchangeStatement(resolveNames(renamedModel(), 'tenant'));
    expect(params).toEqual(['tokenHash', 'at', 'memberSessionId', 'tokenHash', 'organizationId', 'memberId', 'startedAt', 'lastAccessedAt', 'expiresAt', 'authenticationFactors', 'customClaims', 'revokedAt']);
    expect(sql).toMatch(/^WITH "consumed" AS \(DELETE FROM "tenant"\."host ""totp_intermediate_sessions""" WHERE "x\.token_hash" = \$1 AND "x\.expires_at" > \$2 RETURNING /);
    expect(sql).toContain('"inserted" AS (INSERT INTO "tenant"."host ""totp_member_sessions""" ("x.member_session_id", "x.token_hash"');
    expect(sql).toContain('SELECT $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM "consumed")');
    for (const shipped of SHIPPED_NAMES) expect(identifiers(sql)).not.toContain(shipped);
  });
});

/** The `$n` placeholders of a statement, each once, in increasing order. */
const placeholders = (sql: string) => [...new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
/** Every `'…'` literal of a statement. */
const literals = (sql: string) => [...sql.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!);

describe('buildExtendSessionStatement', () => {
  const names = resolveNames(renamedModel(), 'tenant');
  const sessions = '"tenant"."host ""totp_member_sessions"""';

  it('without a spend: one UPDATE … RETURNING of the live session, over the data model’s names', () => {
    const { sql, params } = buildExtendSessionStatement(names);
    expect(params).toEqual(['memberSessionId', 'at', 'expiresAt', 'factor', 'customClaims']);
    expect(
      sql.startsWith(
        `UPDATE ${sessions} AS "s" SET "x.last_accessed_at" = $2, "x.expires_at" = GREATEST("s"."x.expires_at", $3), ` +
          `"x.authentication_factors" = CASE WHEN $4::jsonb IS NULL THEN "s"."x.authentication_factors" ELSE `,
      ),
    ).toBe(true);
    expect(sql).toContain(
      '"x.custom_claims" = COALESCE($5::jsonb, "s"."x.custom_claims") WHERE "s"."x.member_session_id" = $1 AND "s"."x.revoked_at" IS NULL AND "s"."x.expires_at" > $2 RETURNING ',
    );
    // Every column back, under the names readPart reads.
    for (const [field, [column]] of Object.entries(RAW_MODELS.TotpMemberSession.fields)) expect(sql).toContain(`"s"."x.${column}" AS "s.${field}"`);
    expect(sql).not.toMatch(/^WITH|FOR UPDATE|"live"|"spent"/);
  });

  it('the merge: the stored elements in their order but those of the factor’s type and delivery method as JSON values, then the factor', () => {
    const { sql } = buildExtendSessionStatement(names);
    expect(sql).toContain(
      'ELSE COALESCE((SELECT jsonb_agg("e"."f" ORDER BY "e"."n") FROM jsonb_array_elements("s"."x.authentication_factors") WITH ORDINALITY AS "e"("f", "n") WHERE ',
    );
    expect(sql).toContain(`), '[]'::jsonb) || jsonb_build_array($4::jsonb) END`);
    // JSON values compared (->, not ->>), NULL-safe; objects and arrays never equal; a JSON null element kept.
    for (const key of ['type', 'delivery_method']) {
      expect(sql).toContain(`("e"."f" -> '${key}' IS DISTINCT FROM $4::jsonb -> '${key}' OR COALESCE(jsonb_typeof("e"."f" -> '${key}'), '') IN ('object', 'array'))`);
    }
    expect(sql).toContain(`WHERE jsonb_typeof("e"."f") = 'null' OR (`);
    expect(sql).not.toContain('->>');
  });

  it('with a spend: the session locked first, then the spend, then the session’s UPDATE only if the spend changed a row', () => {
    const step = buildExtendSessionStatement(names, { kind: 'totp_step' });
    expect(step.params).toEqual([...EXTEND_SESSION_PARAMS, 'step', 'totpRegistrationId']);
    expect(
      step.sql.startsWith(
        `WITH "live" AS (SELECT 1 FROM ${sessions} WHERE "x.member_session_id" = $1 AND "x.revoked_at" IS NULL AND "x.expires_at" > $2 FOR UPDATE), ` +
          `"spent" AS (UPDATE "tenant"."host ""totp_registrations""" SET "x.last_accepted_step" = $6 WHERE "x.totp_registration_id" = $7 AND "x.status" = 'active' ` +
          `AND ("x.last_accepted_step" IS NULL OR "x.last_accepted_step" < $6) AND EXISTS (SELECT 1 FROM "live") RETURNING 1), ` +
          `"extended" AS (UPDATE ${sessions} AS "s" SET `,
      ),
    ).toBe(true);
    expect(step.sql).toContain(' WHERE "s"."x.member_session_id" = $1 AND EXISTS (SELECT 1 FROM "spent") RETURNING ');
    expect(step.sql).toMatch(/\) SELECT EXISTS \(SELECT 1 FROM "live"\) AS "live", "s\.memberSessionId", .*"s\.revokedAt" FROM \(SELECT 1 AS "one"\) AS "q" LEFT JOIN "extended" ON TRUE$/);
    expect(step.sql).not.toContain('"remaining"');

    const code = buildExtendSessionStatement(names, { kind: 'recovery_code', candidates: 2 });
    expect(code.params).toEqual([...EXTEND_SESSION_PARAMS, 'totpRegistrationId', 'keyId0', 'hash0', 'keyId1', 'hash1']);
    expect(code.sql).toContain(
      `"spent" AS (DELETE FROM "tenant"."host ""totp_recovery_codes""" WHERE "x.totp_registration_id" = $6 AND (("x.key_id" = $7 AND "x.hash" = $8) OR ("x.key_id" = $9 AND "x.hash" = $10)) AND EXISTS (SELECT 1 FROM "live") RETURNING 1)`,
    );
    expect(code.sql).toContain(
      `SELECT EXISTS (SELECT 1 FROM "live") AS "live", CAST((SELECT count(*) FROM "tenant"."host ""totp_recovery_codes""" WHERE "x.totp_registration_id" = $6) - (SELECT count(*) FROM "spent") AS INTEGER) AS "remaining", "s.memberSessionId"`,
    );
    // The session's UPDATE is the one of the statement without a spend, but for its WHERE.
    const plain = buildExtendSessionStatement(names).sql;
    const set = plain.slice(plain.indexOf(' SET '), plain.indexOf(' WHERE "s"."x.member_session_id"'));
    expect(set.length).toBeGreaterThan(100);
    expect(step.sql).toContain(set);
    expect(code.sql).toContain(set);
  });

  it('names only what the data model names, and every value is a positional parameter', () => {
    const plainLiterals = literals(buildExtendSessionStatement(names).sql);
    expect(plainLiterals.sort()).toEqual(['', '', '[]', 'array', 'array', 'delivery_method', 'delivery_method', 'delivery_method', 'null', 'object', 'object', 'type', 'type', 'type']);
    for (const spend of [{ kind: 'none' }, { kind: 'totp_step' }, { kind: 'recovery_code', candidates: 1 }, { kind: 'recovery_code', candidates: 3 }] as const) {
      const { sql, params } = buildExtendSessionStatement(names, spend);
      for (const shipped of SHIPPED_NAMES) expect(identifiers(sql)).not.toContain(shipped);
      expect(sql).not.toMatch(/\bFROM totp_|UPDATE totp_/);
      // $1 … $n, each parameter used, none past the last.
      expect(placeholders(sql)).toEqual(params.map((_, i) => i + 1));
      // The only literals are the adapter's own constants.
      expect(new Set(literals(sql))).toEqual(new Set([...plainLiterals, ...(spend.kind === 'totp_step' ? ['active'] : [])]));
    }
    // The same spend, the same text; another candidate count, another statement.
    expect(buildExtendSessionStatement(names, { kind: 'recovery_code', candidates: 3 })).toEqual(buildExtendSessionStatement(names, { kind: 'recovery_code', candidates: 3 }));
    expect(buildExtendSessionStatement(names, { kind: 'recovery_code', candidates: 3 }).sql).not.toBe(
      buildExtendSessionStatement(names, { kind: 'recovery_code', candidates: 1 }).sql,
    );
  });
});

describe('readPart', () => {
  it('reads what the drivers return, and the other forms a column can come back in, as the delegates would', () => {
    const native = {
      'r.totpRegistrationId': 'r1',
      'r.organizationId': 'o',
      'r.memberId': 'm',
      'r.status': 'active',
      'r.secretKeyId': 'k',
      'r.secretCiphertext': 'c',
      'r.algorithm': 'SHA1',
      'r.digits': 6,
      'r.periodSeconds': 30,
      'r.expiresAt': null,
      'r.lastAcceptedStep': 59_000_000n,
      'r.createdAt': new Date(Date.UTC(2026, 10, 29, 12, 0, 0, 5)),
      'r.activatedAt': null,
    };
    const expected = Object.fromEntries(Object.entries(native).map(([k, v]) => [k.slice(2), v]));
    expect(readPart(native, 'r', 'TotpRegistration')).toEqual(expected);
    // Text timestamps (SQLite's ISO-8601, PostgreSQL's without a zone: UTC), epoch numbers, a BIGINT as text or number.
    for (const createdAt of ['2026-11-29T12:00:00.005+00:00', '2026-11-29 12:00:00.005', '2026-11-29T12:00:00.005Z', Date.UTC(2026, 10, 29, 12, 0, 0, 5)]) {
      for (const lastAcceptedStep of ['59000000', 59_000_000]) {
        expect(readPart({ ...native, 'r.createdAt': createdAt, 'r.lastAcceptedStep': lastAcceptedStep, 'r.digits': 6n }, 'r', 'TotpRegistration')).toEqual(expected);
      }
    }
    expect(() => readPart({ ...native, 'r.createdAt': 'yesterday' }, 'r', 'TotpRegistration')).toThrow(/not a timestamp/);
    // Booleans as 0/1, JSON as text.
    const organization = readPart<{ allowedMfaMethods: unknown }>(
      { 'o.organizationId': 'o', 'o.allowedMfaMethods': '["totp"]', 'o.createdAt': new Date(0), 'o.updatedAt': new Date(0) },
      'o',
      'TotpOrganization',
    );
    expect(organization?.allowedMfaMethods).toEqual(['totp']);
    expect(readPart<{ mfaEnrolled: boolean }>({ 'm.memberId': 'm', 'm.mfaEnrolled': 1, 'm.createdAt': 0, 'm.updatedAt': 0 }, 'm', 'TotpMember')?.mfaEnrolled).toBe(true);
    // A NULL primary key: the LEFT JOIN found nothing.
    expect(readPart({ 'r.totpRegistrationId': null }, 'r', 'TotpRegistration')).toBeNull();
    expect(readPart({}, 'r', 'TotpRegistration')).toBeNull();
  });
});
