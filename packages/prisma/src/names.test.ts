// names.ts is the one place raw SQL takes table and column names from: it must say what prisma/totp.prisma says.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TOTP_MODELS, defaultColumn, defaultTable, sqlNames, type TotpModel } from './names';

/** Each model of prisma/totp.prisma: its table (@@map) and each scalar field's column (@map, else the field's name). */
function schemaModels(): Record<string, { table: string; columns: Record<string, string> }> {
  const schema = readFileSync(new URL('../prisma/totp.prisma', import.meta.url), 'utf8');
  const models: Record<string, { table: string; columns: Record<string, string> }> = {};
  for (const [, name, body] of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const columns: Record<string, string> = {};
    for (const [line, field] of body!.matchAll(/^\s+(\w+)\s+(?:String|Int|BigInt|Boolean|DateTime|Json)\??(?:[ \t].*)?$/gm)) {
      columns[field!] = /[^@]@map\("([^"]+)"\)/.exec(line)?.[1] ?? field!;
    }
    models[name!] = { table: /@@map\("([^"]+)"\)/.exec(body!)![1]!, columns };
  }
  return models;
}

describe('the names raw SQL uses', () => {
  it('are the tables and columns prisma/totp.prisma maps the models to: every scalar field, each in snake_case', () => {
    const models = schemaModels();
    expect(Object.keys(TOTP_MODELS).sort()).toEqual(Object.keys(models).sort());
    for (const [model, fields] of Object.entries(TOTP_MODELS)) {
      expect(models[model]?.table, model).toBe(defaultTable(model as TotpModel));
      expect(Object.fromEntries(fields.map((f) => [f, defaultColumn(f)])), model).toEqual(models[model]!.columns);
    }
  });

  it('quote every identifier, qualify tables by the schema when there is one, and take the host’s renames', () => {
    expect(sqlNames(undefined).table('TotpMember')).toBe('"totp_members"');
    expect(sqlNames('my "app"').table('TotpMember')).toBe('"my ""app"""."totp_members"');
    const renamed = sqlNames('app', { TotpMember: { table: 'Acme.members', columns: { memberId: 'ID' } } });
    expect([
      renamed.table('TotpMember'),
      renamed.column('TotpMember', 'memberId'),
      renamed.column('TotpMember', 'emailAddressLower'),
    ]).toEqual(['"app"."Acme.members"', '"ID"', '"email_address_lower"']);
  });
});
