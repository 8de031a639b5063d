// A service over a store under test, with a clock the test moves by hand and fixed keys, for the contract suites.
// Exported so adapter authors can write their own extra cases the same way.

import { nobleCrypto } from '../crypto/noble';
import type { KeyInput } from '../crypto/keyring';
import type { TotpRepository } from '../domain/repository';
import type { TotpServiceOptions } from '../service/context';
import { createTotpService, type TotpService } from '../service/service';

/** A store for one test, fresh and empty. */
export interface ContractStore {
  repository: TotpRepository;
  /** Every stored row or record, as plain data (what a database dump shows). */
  dump(): unknown;
  close?(): unknown;
}

/** Test-only keys: never use these outside tests. */
export const CONTRACT_ENCRYPTION_KEYS: readonly KeyInput[] = [{ id: 'contract-1', key: new Uint8Array(32).fill(7) }];
export const CONTRACT_RECOVERY_CODE_PEPPER: readonly KeyInput[] = [{ id: 'contract-pepper-1', key: new Uint8Array(32).fill(9) }];
export const CONTRACT_SESSION_SIGNING_KEYS: readonly KeyInput[] = [{ id: 'contract-jwt-1', key: new Uint8Array(32).fill(11) }];

/** 2026-11-29T12:00:00Z, aligned to a 30-second step so step arithmetic in tests stays readable. */
export const CONTRACT_START_MS = Date.UTC(2026, 10, 29, 12, 0, 0);

export interface ContractHarness {
  repository: TotpRepository;
  service: TotpService;
  /** The harness clock, in milliseconds since the epoch. */
  now(): number;
  /** Moves the clock forward (or back, with a negative value). */
  advance(milliseconds: number): void;
  /** Everything the store holds, as a database dump would show it. */
  dump(): Promise<unknown>;
  /** A fresh organization and an active member in it, through the service. */
  provision(overrides?: { slug?: string; email?: string; externalId?: string; orgExternalId?: string }): Promise<{
    organizationId: string;
    memberId: string;
    organizationSlug: string;
  }>;
  close(): Promise<void>;
}

/** What every contract suite gets: the running test's harness, and `test`, which is `it` unless the adapter skips the case. */
export interface SuiteContext {
  h(): ContractHarness;
  test(name: string, body: () => Promise<void>): void;
}

let provisioned = 0;

export async function createContractHarness(
  createStore: () => ContractStore | Promise<ContractStore>,
  serviceOptions: Partial<Omit<TotpServiceOptions, 'repository' | 'clock'>> = {},
): Promise<ContractHarness> {
  const store = await createStore();
  let nowMs = CONTRACT_START_MS;
  const service = createTotpService({
    crypto: nobleCrypto,
    encryptionKeys: CONTRACT_ENCRYPTION_KEYS,
    recoveryCodePepper: CONTRACT_RECOVERY_CODE_PEPPER,
    sessionSigningKeys: CONTRACT_SESSION_SIGNING_KEYS,
    ...serviceOptions,
    repository: store.repository,
    clock: () => nowMs,
  });
  return {
    repository: store.repository,
    service,
    now: () => nowMs,
    advance: (milliseconds) => {
      nowMs += milliseconds;
    },
    dump: async () => store.dump(),
    provision: async (overrides = {}) => {
      provisioned += 1;
      const slug = overrides.slug ?? `org-${provisioned}-${Math.floor(nowMs / 1000)}`;
      const { organization } = await service.organizations.create({
        organization_name: `Organization ${provisioned}`,
        organization_slug: slug,
        ...(overrides.orgExternalId === undefined ? {} : { organization_external_id: overrides.orgExternalId }),
      });
      const { member_id } = await service.organizations.members.create({
        organization_id: organization.organization_id,
        email_address: overrides.email ?? `member-${provisioned}@example.com`,
        ...(overrides.externalId === undefined ? {} : { external_id: overrides.externalId }),
      });
      return { organizationId: organization.organization_id, memberId: member_id, organizationSlug: slug };
    },
    close: async () => {
      await store.close?.();
    },
  };
}
