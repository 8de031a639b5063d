// The repository contract: the cases every TotpRepository adapter must pass, run through the real service.
// Each case gets a fresh store; read-backs check what was stored, races check the atomic methods.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyring } from '../keyring';
import type { OrganizationRecord, MemberRecord } from '../model';
import { normalizeRecoveryCode, recoveryCodeLookupHashes } from '../recovery-codes';
import type { TotpRepository } from '../repository';
import { decodeSecret } from '../secret';
import { decryptSecret } from '../secret-box';
import { generateTotp } from '../totp';
import {
  CONTRACT_ENCRYPTION_KEYS,
  CONTRACT_RECOVERY_CODE_PEPPER,
  createContractHarness,
  type ContractHarness,
} from './harness';
import { errorTypeOf, mfaContract } from './contract-mfa';

export interface ContractStore {
  repository: TotpRepository;
  /** Every stored row or record, as plain data (what a database dump shows). */
  dump(): unknown;
  close?(): unknown;
}

export interface RepositoryContractOptions {
  /** Shown in the test names, e.g. "memory" or "prisma (postgresql)". */
  name: string;
  /** A fresh, empty store for one test. */
  createStore(): ContractStore | Promise<ContractStore>;
  /** Per-test timeout for slow stores, in milliseconds. */
  timeoutMs?: number;
}

const MINUTE_MS = 60_000;
const CODE_SHAPE = /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/;

function organizationRecord(id: string, slug: string, externalId = ''): OrganizationRecord {
  const at = new Date(Date.UTC(2026, 0, 1));
  return {
    organizationId: `organization-test-${id}`,
    organizationName: `Org ${id}`,
    organizationSlug: slug,
    organizationExternalId: externalId,
    mfaPolicy: 'OPTIONAL',
    mfaMethods: 'ALL_ALLOWED',
    allowedMfaMethods: [],
    createdAt: at,
    updatedAt: at,
  };
}

function memberRecord(organizationId: string, id: string, email: string, externalId = ''): MemberRecord {
  const at = new Date(Date.UTC(2026, 0, 1));
  return {
    organizationId,
    memberId: `member-test-${id}`,
    emailAddress: email,
    name: '',
    status: 'active',
    externalId,
    mfaEnrolled: false,
    totpRegistrationId: '',
    defaultMfaMethod: '',
    failedMfaAttempts: 0,
    lockCreatedAt: null,
    lockExpiresAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

export function runRepositoryContract(options: RepositoryContractOptions): void {
  const timeout = options.timeoutMs ?? 20_000;

  describe(`TotpRepository contract: ${options.name}`, { timeout }, () => {
    let h: ContractHarness;
    beforeEach(async () => {
      h = await createContractHarness(options);
    });
    afterEach(async () => {
      await h.close();
    });

    mfaContract(() => h);

    describe('organizations and members', () => {
      it('stores an organization and finds it by ID, slug and external ID, returning copies', async () => {
        const org = organizationRecord('00000000-0000-4000-8000-000000000001', 'acme', 'acme-ext');
        await h.repository.insertOrganization(org);
        expect(await h.repository.findOrganizationById(org.organizationId)).toEqual(org);
        expect(await h.repository.findOrganizationBySlug('acme')).toEqual(org);
        expect(await h.repository.findOrganizationByExternalId('acme-ext')).toEqual(org);
        expect(await h.repository.findOrganizationBySlug('ACME')).toBeNull();
        expect(await h.repository.findOrganizationByExternalId('')).toBeNull();
        expect(await h.repository.findOrganizationById('organization-test-missing')).toBeNull();
        const found = await h.repository.findOrganizationById(org.organizationId);
        found!.organizationName = 'mutated';
        expect((await h.repository.findOrganizationById(org.organizationId))!.organizationName).toBe(org.organizationName);
      });

      it('refuses a duplicate slug or external ID, and stores nothing for the refused one', async () => {
        await h.repository.insertOrganization(organizationRecord('00000000-0000-4000-8000-000000000001', 'acme', 'x1'));
        const dupSlug = organizationRecord('00000000-0000-4000-8000-000000000002', 'acme', 'x2');
        expect(await errorTypeOf(h.repository.insertOrganization(dupSlug))).toBe('duplicate_organization_slug');
        const dupExt = organizationRecord('00000000-0000-4000-8000-000000000003', 'other', 'x1');
        expect(await errorTypeOf(h.repository.insertOrganization(dupExt))).toBe('duplicate_organization_external_id');
        expect(await h.repository.findOrganizationById(dupSlug.organizationId)).toBeNull();
        expect(await h.repository.findOrganizationById(dupExt.organizationId)).toBeNull();
        // Organizations without an external ID do not collide on the empty string.
        await h.repository.insertOrganization(organizationRecord('00000000-0000-4000-8000-000000000004', 'a2'));
        await h.repository.insertOrganization(organizationRecord('00000000-0000-4000-8000-000000000005', 'a3'));
      });

      it('of 20 concurrent inserts with one slug, exactly one succeeds', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            h.repository.insertOrganization(
              organizationRecord(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, 'race'),
            ),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as { error_type?: string }).error_type).toBe('duplicate_organization_slug');
        }
      });

      it('refuses a slug that is another organization\'s external ID, and an external ID that is another\'s slug', async () => {
        const a = organizationRecord('00000000-0000-4000-8000-000000000021', 'alpha', 'crm-alpha');
        await h.repository.insertOrganization(a);
        // Either would make an identifier the host uses for `a` resolve to another organization.
        const slugShadow = organizationRecord('00000000-0000-4000-8000-000000000022', 'crm-alpha');
        expect(await errorTypeOf(h.repository.insertOrganization(slugShadow))).toBe('duplicate_organization_slug');
        const externalShadow = organizationRecord('00000000-0000-4000-8000-000000000023', 'beta', 'alpha');
        expect(await errorTypeOf(h.repository.insertOrganization(externalShadow))).toBe('duplicate_organization_external_id');
        expect(await h.repository.findOrganizationById(slugShadow.organizationId)).toBeNull();
        expect(await h.repository.findOrganizationById(externalShadow.organizationId)).toBeNull();
        // One organization may use one identifier as both its slug and its external ID.
        await h.repository.insertOrganization(organizationRecord('00000000-0000-4000-8000-000000000024', 'gamma', 'gamma'));
      });

      it('of 20 concurrent inserts taking one identifier, half as slug and half as external ID, exactly one succeeds', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => {
            const id = `00000000-0000-4000-8001-${String(i).padStart(12, '0')}`;
            return h.repository.insertOrganization(i % 2 === 0 ? organizationRecord(id, 'shared') : organizationRecord(id, `own-${i}`, 'shared'));
          }),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(['duplicate_organization_slug', 'duplicate_organization_external_id']).toContain((r.reason as { error_type?: string }).error_type);
          }
        }
      });

      it('answers the documented not-found errors for writes under a deleted organization or member', async () => {
        const gone = organizationRecord('00000000-0000-4000-8000-000000000031', 'gone');
        const member = memberRecord(gone.organizationId, '00000000-0000-4000-8000-000000000032', 'gone@example.com');
        expect(await errorTypeOf(h.repository.insertMember(member))).toBe('organization_not_found');
        await h.repository.insertOrganization(gone);
        await h.repository.insertMember(member);
        expect(await h.repository.deleteMember(gone.organizationId, member.memberId)).toBe(true);
        const at = new Date(Date.UTC(2026, 0, 1));
        const ist = { tokenHash: 'a'.repeat(64), organizationId: gone.organizationId, memberId: member.memberId, authenticationFactors: [], createdAt: at, expiresAt: new Date(at.getTime() + MINUTE_MS) };
        expect(await errorTypeOf(h.repository.insertIntermediateSession(ist))).toBe('member_not_found');
        const registration = {
          totpRegistrationId: 'member-totp-test-00000000-0000-4000-8000-000000000033',
          organizationId: gone.organizationId,
          memberId: member.memberId,
          status: 'pending' as const,
          secret: { keyId: 'k', ciphertext: 'c' },
          algorithm: 'SHA1' as const,
          digits: 6,
          periodSeconds: 30,
          expiresAt: new Date(at.getTime() + MINUTE_MS),
          lastAcceptedStep: null,
          createdAt: at,
          activatedAt: null,
        };
        expect(await h.repository.saveRegistration(registration, [])).toBe('member_not_found');
        expect(await h.repository.findRegistrations(gone.organizationId, member.memberId)).toEqual({ active: null, pending: null });
      });

      it('deletes racing writes: every write either lands or answers the documented not-found error', async () => {
        for (let round = 0; round < 3; round++) {
          const { organization } = await h.service.organizations.create({ organization_name: 'Racing', organization_slug: `racing-${round}` });
          const orgId = organization.organization_id;
          const { member_id } = await h.service.organizations.members.create({ organization_id: orgId, email_address: `m-${round}@race.example` });
          const outcomes = await Promise.all([
            ...Array.from({ length: 8 }, (_, i) =>
              errorTypeOf(h.service.organizations.members.create({ organization_id: orgId, email_address: `n-${round}-${i}@race.example` })),
            ),
            ...Array.from({ length: 4 }, () => errorTypeOf(h.service.sessions.startIntermediate({ organization_id: orgId, member_id }))),
            ...Array.from({ length: 4 }, () => errorTypeOf(h.service.totps.create({ organization_id: orgId, member_id }))),
            errorTypeOf(h.service.organizations.members.delete({ organization_id: orgId, member_id })),
            errorTypeOf(h.service.organizations.delete({ organization_id: orgId })),
          ]);
          for (const outcome of outcomes) expect(['succeeded', 'organization_not_found', 'member_not_found']).toContain(outcome);
          expect(await h.repository.findOrganizationById(orgId)).toBeNull();
        }
      });

      it('stores members, unique e-mail (case-insensitive) and external ID within an organization only', async () => {
        const a = organizationRecord('00000000-0000-4000-8000-00000000000a', 'org-a');
        const b = organizationRecord('00000000-0000-4000-8000-00000000000b', 'org-b');
        await h.repository.insertOrganization(a);
        await h.repository.insertOrganization(b);
        const m1 = memberRecord(a.organizationId, '00000000-0000-4000-8000-000000000011', 'Ann@Example.com', 'emp-1');
        await h.repository.insertMember(m1);
        expect(await h.repository.findMemberById(a.organizationId, m1.memberId)).toEqual(m1);
        expect(await h.repository.findMemberByExternalId(a.organizationId, 'emp-1')).toEqual(m1);
        expect(await h.repository.findMemberById(b.organizationId, m1.memberId)).toBeNull();
        expect(await h.repository.findMemberByExternalId(b.organizationId, 'emp-1')).toBeNull();
        expect(await h.repository.findMemberByExternalId(a.organizationId, '')).toBeNull();

        const sameEmail = memberRecord(a.organizationId, '00000000-0000-4000-8000-000000000012', 'ann@EXAMPLE.com');
        expect(await errorTypeOf(h.repository.insertMember(sameEmail))).toBe('duplicate_member_email');
        const sameExt = memberRecord(a.organizationId, '00000000-0000-4000-8000-000000000013', 'bob@example.com', 'emp-1');
        expect(await errorTypeOf(h.repository.insertMember(sameExt))).toBe('duplicate_member_external_id');
        expect(await h.repository.findMemberById(a.organizationId, sameEmail.memberId)).toBeNull();
        expect(await h.repository.findMemberById(a.organizationId, sameExt.memberId)).toBeNull();

        // The same e-mail and external ID are fine in another organization.
        await h.repository.insertMember(memberRecord(b.organizationId, '00000000-0000-4000-8000-000000000014', 'ann@example.com', 'emp-1'));
      });
    });

    describe('identifier resolution', () => {
      it('finds the organization by ID, slug or external ID, and the member by ID or external ID', async () => {
        const { organizationId, memberId, organizationSlug } = await h.provision({
          externalId: 'employee-7',
          orgExternalId: 'crm-42',
        });
        for (const org of [organizationId, organizationSlug, 'crm-42']) {
          for (const member of [memberId, 'employee-7']) {
            const got = await h.service.organizations.members.get({ organization_id: org, member_id: member });
            expect(got.member_id).toBe(memberId);
            expect(got.organization.organization_id).toBe(organizationId);
          }
        }
      });

      it('finds a member by e-mail address, case-insensitively, only inside its organization', async () => {
        const first = await h.provision({ email: 'Grace.Hopper@Example.com' });
        const second = await h.provision();
        const got = await h.service.organizations.members.get({ organization_id: first.organizationId, email_address: 'grace.hopper@example.COM' });
        expect(got.member_id).toBe(first.memberId);
        expect(
          await errorTypeOf(h.service.organizations.members.get({ organization_id: second.organizationId, email_address: 'grace.hopper@example.com' })),
        ).toBe('member_not_found');
        expect(await errorTypeOf(h.service.organizations.members.get({ organization_id: first.organizationId }))).toBe('bad_request');
      });

      it('does not find a member through another organization', async () => {
        const first = await h.provision();
        const second = await h.provision();
        expect(
          await errorTypeOf(
            h.service.organizations.members.get({ organization_id: second.organizationId, member_id: first.memberId }),
          ),
        ).toBe('member_not_found');
        expect(
          await errorTypeOf(h.service.organizations.get({ organization_id: 'organization-test-00000000-0000-4000-8000-000000000000' })),
        ).toBe('organization_not_found');
      });
    });

    describe('create a TOTP registration', () => {
      it('stores a pending registration whose encrypted secret and hashed codes match the response', async () => {
        const { organizationId, memberId } = await h.provision();
        const created = await h.service.totps.create({ organization_id: organizationId, member_id: memberId });
        expect(created.status_code).toBe(200);
        expect(created.secret).toMatch(/^[A-Z2-7]{32}$/);
        expect(created.recovery_codes).toHaveLength(10);
        for (const code of created.recovery_codes) expect(code).toMatch(CODE_SHAPE);

        const { active, pending } = await h.repository.findRegistrations(organizationId, memberId);
        expect(active).toBeNull();
        expect(pending).not.toBeNull();
        expect(pending!.totpRegistrationId).toBe(created.totp_registration_id);
        expect(pending!.status).toBe('pending');
        expect(pending!.lastAcceptedStep).toBeNull();
        expect(pending!.expiresAt!.getTime()).toBe(h.now() + 60 * MINUTE_MS);

        const binding = { organizationId, memberId, totpRegistrationId: created.totp_registration_id };
        const keyring = createKeyring('encryption keys', CONTRACT_ENCRYPTION_KEYS, { exactBytes: 32 });
        const secret = decryptSecret(pending!.secret, { binding, keyring });
        expect(secret).toEqual(decodeSecret(created.secret));

        const pepper = createKeyring('recovery code pepper', CONTRACT_RECOVERY_CODE_PEPPER, { minBytes: 32 });
        const stored = await h.repository.listRecoveryCodeHashes(created.totp_registration_id);
        expect(stored).toHaveLength(10);
        const storedHashes = new Set(stored.map((s) => `${s.keyId}:${s.hash}`));
        for (const code of created.recovery_codes) {
          const [lookup] = recoveryCodeLookupHashes(normalizeRecoveryCode(code)!, pepper);
          expect(storedHashes.has(`${lookup!.keyId}:${lookup!.hash}`)).toBe(true);
        }
      });

      it('never stores the secret or a recovery code in clear', async () => {
        const { organizationId, memberId } = await h.provision();
        const created = await h.service.totps.create({ organization_id: organizationId, member_id: memberId });
        const dump = JSON.stringify(await h.dump()).toLowerCase();
        const secretBytes = decodeSecret(created.secret);
        const hex = Array.from(secretBytes, (b) => b.toString(16).padStart(2, '0')).join('');
        expect(dump).not.toContain(created.secret.toLowerCase());
        expect(dump).not.toContain(hex);
        expect(dump).not.toContain(btoaBytes(secretBytes).toLowerCase());
        for (const code of created.recovery_codes) {
          expect(dump).not.toContain(code);
          expect(dump).not.toContain(code.replaceAll('-', ''));
        }
      });

      it('replaces a pending registration and its recovery codes', async () => {
        const { organizationId, memberId } = await h.provision();
        const first = await h.service.totps.create({ organization_id: organizationId, member_id: memberId });
        const second = await h.service.totps.create({ organization_id: organizationId, member_id: memberId });
        const { pending } = await h.repository.findRegistrations(organizationId, memberId);
        expect(pending!.totpRegistrationId).toBe(second.totp_registration_id);
        expect(await h.repository.listRecoveryCodeHashes(first.totp_registration_id)).toEqual([]);
        expect(await h.repository.listRecoveryCodeHashes(second.totp_registration_id)).toHaveLength(10);
        expect(second.secret).not.toBe(first.secret);
      });

      it('keeps exactly one whole pending registration under 20 concurrent creates', async () => {
        const { organizationId, memberId } = await h.provision();
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, () => h.service.totps.create({ organization_id: organizationId, member_id: memberId })),
        );
        const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        expect(ok.length).toBeGreaterThanOrEqual(1);
        const { pending } = await h.repository.findRegistrations(organizationId, memberId);
        const winner = ok.find((c) => c.totp_registration_id === pending!.totpRegistrationId);
        expect(winner).toBeDefined();
        expect(await h.repository.listRecoveryCodeHashes(winner!.totp_registration_id)).toHaveLength(10);
        for (const loser of ok.filter((c) => c !== winner)) {
          expect(await h.repository.listRecoveryCodeHashes(loser.totp_registration_id)).toEqual([]);
        }
        // Nothing of the losers remains anywhere in the store: no second pending row, no orphaned codes.
        const idsInStore = new Set(JSON.stringify(await h.dump()).match(/member-totp-test-[0-9a-f-]{36}/g));
        expect([...idsInStore]).toEqual([winner!.totp_registration_id]);
      });

      it('sets the expiry from expiration_minutes, to the second', async () => {
        const { organizationId, memberId } = await h.provision();
        await h.service.totps.create({ organization_id: organizationId, member_id: memberId, expiration_minutes: 5 });
        const { pending } = await h.repository.findRegistrations(organizationId, memberId);
        expect(pending!.expiresAt!.getTime()).toBe(h.now() + 5 * MINUTE_MS);
        expect(pending!.createdAt.getTime()).toBe(h.now());
      });

      it('refuses an expiration_minutes outside [5, 1440] before writing anything', async () => {
        const { organizationId, memberId } = await h.provision();
        for (const expiration_minutes of [4, 1441, 5.5, '60', -1, Number.NaN]) {
          expect(
            await errorTypeOf(h.service.totps.create({ organization_id: organizationId, member_id: memberId, expiration_minutes })),
          ).toBe('invalid_expiration');
        }
        expect(await h.repository.findRegistrations(organizationId, memberId)).toEqual({ active: null, pending: null });
      });

      it('refuses members that are not active, and unknown organizations or members', async () => {
        const { organizationId } = await h.provision();
        const { member_id } = await h.service.organizations.members.create({
          organization_id: organizationId,
          email_address: 'pending@example.com',
          create_member_as_pending: true,
        });
        expect(await errorTypeOf(h.service.totps.create({ organization_id: organizationId, member_id }))).toBe(
          'action_available_only_for_active_members',
        );
        expect(await h.repository.findRegistrations(organizationId, member_id)).toEqual({ active: null, pending: null });
        expect(
          await errorTypeOf(h.service.totps.create({ organization_id: 'no-such-org', member_id })),
        ).toBe('organization_not_found');
        expect(
          await errorTypeOf(h.service.totps.create({ organization_id: organizationId, member_id: 'no-such-member' })),
        ).toBe('member_not_found');
      });

      it('stores a secret that yields the codes an authenticator computes from the response', async () => {
        const { organizationId, memberId } = await h.provision();
        const created = await h.service.totps.create({ organization_id: organizationId, member_id: memberId });
        const { pending } = await h.repository.findRegistrations(organizationId, memberId);
        const keyring = createKeyring('encryption keys', CONTRACT_ENCRYPTION_KEYS, { exactBytes: 32 });
        const stored = decryptSecret(pending!.secret, {
          binding: { organizationId, memberId, totpRegistrationId: created.totp_registration_id },
          keyring,
        });
        expect(generateTotp(stored, { nowMs: h.now() })).toBe(generateTotp(decodeSecret(created.secret), { nowMs: h.now() }));
      });
    });
  });
}

function btoaBytes(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
