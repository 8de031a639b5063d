// The Stytch-shaped objects the service returns: Member and Organization as in the `stytch` SDK's B2B types.
// Storage records are camelCase with Dates; these are snake_case with RFC 3339 UTC strings (docs/http-api.md, "The objects").

import type {
  DefaultMfaMethod,
  MemberRecord,
  MemberStatus,
  MfaMethods,
  MfaPolicy,
  OrganizationRecord,
} from './model';

export interface MemberObject {
  organization_id: string;
  member_id: string;
  email_address: string;
  name: string;
  status: MemberStatus;
  external_id: string;
  mfa_enrolled: boolean;
  mfa_phone_number: string;
  totp_registration_id: string;
  default_mfa_method: DefaultMfaMethod;
  is_locked: boolean;
  /** Present only while the member is locked. */
  lock_created_at?: string;
  lock_expires_at?: string;
  roles: never[];
  created_at: string;
  updated_at: string;
}

export interface OrganizationObject {
  organization_id: string;
  organization_name: string;
  organization_slug: string;
  organization_external_id: string;
  mfa_policy: MfaPolicy;
  mfa_methods: MfaMethods;
  allowed_mfa_methods: string[];
  created_at: string;
  updated_at: string;
}

// Recently formatted seconds (see rfc3339): a direct-mapped table, one second per slot.
const FORMATTED_SLOTS = 256;
const SLOT_SHIFT = 32 - Math.log2(FORMATTED_SLOTS);
const formattedSeconds = new Float64Array(FORMATTED_SLOTS).fill(Number.NaN);
const formattedTexts: string[] = new Array<string>(FORMATTED_SLOTS).fill('');

/** RFC 3339 UTC with seconds precision, as Stytch prints timestamps (`2026-11-29T14:00:00Z`). */
export function rfc3339(date: Date): string {
  return formatted(date.getTime(), date);
}

/** The largest time value a Date can hold, either side of the epoch. */
const MAX_TIME_VALUE = 8.64e15;

/** `rfc3339(new Date(ms))`, with no Date made unless the second is not in the table. */
export function rfc3339OfMs(ms: number): string {
  // Only a whole number within ±8.64e15 (ECMA-262 §21.4.1.1) is its own time value: new Date truncates, and says
  // whether anything else (NaN, a string, a time just past the range, whose second the table may hold) is valid.
  return Number.isSafeInteger(ms) && Math.abs(ms) <= MAX_TIME_VALUE ? formatted(ms, undefined) : rfc3339(new Date(ms));
}

function formatted(ms: number, date: Date | undefined): string {
  // The text depends on the whole second only, and a response writes the same few seconds many times (now, the
  // session's expiry), and every request within a second writes "now" again: each second is formatted once, kept in
  // a small table. The slot is a multiplicative hash of the second (its top bits), not its low bits: a session's
  // start and expiry are a whole number of days apart, often a multiple of 256 seconds (2 or 30 days), and low bits
  // put both in one slot, each evicting the other on every response. An invalid date (NaN) never matches a slot
  // and throws in toISOString.
  const second = Math.floor(ms / 1000);
  const slot = Math.imul(second, 0x9e3779b1) >>> SLOT_SHIFT;
  if (formattedSeconds[slot] === second) return formattedTexts[slot] as string;
  const text = formatRfc3339(date ?? new Date(ms));
  formattedSeconds[slot] = second;
  formattedTexts[slot] = text;
  return text;
}

function formatRfc3339(date: Date): string {
  const iso = date.toISOString();
  // For years 0 to 9999 toISOString is exactly YYYY-MM-DDTHH:mm:ss.sssZ (ECMA-262, Date Time String Format); slicing
  // it is several times cheaper than the regular expression, which stays for the six-digit years.
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
}

/** True when the member's lock is in force at `nowMs`. */
export function isMemberLocked(member: MemberRecord, nowMs: number): boolean {
  return member.lockExpiresAt !== null && member.lockExpiresAt.getTime() > nowMs;
}

export function toMemberObject(member: MemberRecord, nowMs: number): MemberObject {
  const locked = isMemberLocked(member, nowMs);
  const object: MemberObject = {
    organization_id: member.organizationId,
    member_id: member.memberId,
    email_address: member.emailAddress,
    name: member.name,
    status: member.status,
    external_id: member.externalId,
    mfa_enrolled: member.mfaEnrolled,
    mfa_phone_number: '',
    totp_registration_id: member.totpRegistrationId,
    default_mfa_method: member.defaultMfaMethod,
    is_locked: locked,
    roles: [],
    created_at: rfc3339(member.createdAt),
    updated_at: rfc3339(member.updatedAt),
  };
  if (locked && member.lockCreatedAt !== null && member.lockExpiresAt !== null) {
    object.lock_created_at = rfc3339(member.lockCreatedAt);
    object.lock_expires_at = rfc3339(member.lockExpiresAt);
  }
  return object;
}

export function toOrganizationObject(organization: OrganizationRecord): OrganizationObject {
  return {
    organization_id: organization.organizationId,
    organization_name: organization.organizationName,
    organization_slug: organization.organizationSlug,
    organization_external_id: organization.organizationExternalId,
    mfa_policy: organization.mfaPolicy,
    mfa_methods: organization.mfaMethods,
    allowed_mfa_methods: [...organization.allowedMfaMethods],
    created_at: rfc3339(organization.createdAt),
    updated_at: rfc3339(organization.updatedAt),
  };
}
