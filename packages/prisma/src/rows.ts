// Records of the repository port (packages/core domain/model.ts) to and from the rows of prisma/totp.prisma's models:
// only what differs between the two (client-shape.ts says what), each field passed on as it is otherwise.

import type {
  IntermediateSessionRecord,
  MemberPatch,
  MemberRecord,
  MemberSessionRecord,
  OrganizationRecord,
  RecoveryCodeHash,
  TotpRegistrationRecord,
} from '@totp/core';
import type * as Rows from './client-shape';

/**
 * A JSON column's value, exactly `JSON.stringify(value)`. Prisma copies a plain object key by key, which drops an own
 * `__proto__` key; a `toJSON()` input it takes as returned, and a `Json`-tagged text it stores as that text.
 */
const toJson = (value: unknown): Rows.JsonInput => {
  const text = JSON.stringify(value);
  return { toJSON: () => ({ $type: 'Json', value: text }) };
};
const nullIfEmpty = (value: string): string | null => (value === '' ? null : value);
/** A row found, as its record; null as it is. */
export const nullOr = <Row, Record>(row: Row | null, toRecord: (row: Row) => Record): Record | null =>
  row === null ? null : toRecord(row);

export const organizationRow = (o: OrganizationRecord): Rows.RowInput<Rows.TotpOrganizationRow, 'allowedMfaMethods'> => ({
  ...o,
  organizationExternalId: nullIfEmpty(o.organizationExternalId),
  allowedMfaMethods: toJson(o.allowedMfaMethods),
});
export const organizationRecord = (row: Rows.TotpOrganizationRow): OrganizationRecord =>
  ({ ...row, organizationExternalId: row.organizationExternalId ?? '' }) as OrganizationRecord;

export const memberRow = (m: MemberRecord): Rows.TotpMemberRow => ({
  ...m,
  emailAddressLower: m.emailAddress.toLowerCase(),
  externalId: nullIfEmpty(m.externalId),
});
export function memberRecord({ emailAddressLower: _, ...row }: Rows.TotpMemberRow): MemberRecord {
  return { ...row, externalId: row.externalId ?? '' } as MemberRecord;
}

/** A member patch as update data: absent fields stay as they are. */
export const patchData = ({ mfaEnrolled, defaultMfaMethod, updatedAt }: MemberPatch) => ({
  updatedAt,
  ...(mfaEnrolled === undefined ? {} : { mfaEnrolled }),
  ...(defaultMfaMethod === undefined ? {} : { defaultMfaMethod }),
});

export const registrationRow = ({ secret, lastAcceptedStep, ...r }: TotpRegistrationRecord): Rows.TotpRegistrationRow => ({
  ...r,
  secretKeyId: secret.keyId,
  secretCiphertext: secret.ciphertext,
  lastAcceptedStep: lastAcceptedStep === null ? null : BigInt(lastAcceptedStep),
});
export function registrationRecord(row: Rows.TotpRegistrationRow): TotpRegistrationRecord {
  const { secretKeyId: keyId, secretCiphertext: ciphertext, lastAcceptedStep: step, ...rest } = row;
  return { ...rest, secret: { keyId, ciphertext }, lastAcceptedStep: step === null ? null : Number(step) } as TotpRegistrationRecord;
}
/** A member's registrations by status (the unique index allows one of each). */
export function registrationsByStatus(rows: readonly Rows.TotpRegistrationRow[]) {
  const [active, pending] = ['active', 'pending'].map((status) => rows.find((r) => r.status === status));
  return { active: active ? registrationRecord(active) : null, pending: pending ? registrationRecord(pending) : null };
}
export const recoveryCodeRows = (totpRegistrationId: string, codes: readonly RecoveryCodeHash[]): Rows.TotpRecoveryCodeRow[] =>
  codes.map(({ keyId, hash }, position) => ({ totpRegistrationId, keyId, hash, position }));

export const intermediateSessionRow = (
  s: IntermediateSessionRecord,
): Rows.RowInput<Rows.TotpIntermediateSessionRow, 'authenticationFactors'> => ({
  ...s,
  authenticationFactors: toJson(s.authenticationFactors),
});
export const intermediateSessionRecord = (row: Rows.TotpIntermediateSessionRow): IntermediateSessionRecord =>
  row as IntermediateSessionRecord;

export const memberSessionRow = (
  s: MemberSessionRecord,
): Rows.RowInput<Rows.TotpMemberSessionRow, 'authenticationFactors' | 'customClaims'> => ({
  ...s,
  authenticationFactors: toJson(s.authenticationFactors),
  customClaims: toJson(s.customClaims),
});
export const memberSessionRecord = (row: Rows.TotpMemberSessionRow): MemberSessionRecord => row as MemberSessionRecord;
