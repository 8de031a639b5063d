// A service over a store under test, with a clock the test moves by hand and fixed keys, for the contract suite.
// Exported so adapter authors can write their own extra cases the same way.

import type { RepositoryContractOptions } from './contract';
import type { KeyInput } from '../keyring';
import type { TotpRepository } from '../repository';
import { createTotpService, type TotpService, type TotpServiceOptions } from '../service';

/** Test-only keys: never use these outside tests. */
export const CONTRACT_ENCRYPTION_KEYS: readonly KeyInput[] = [{ id: 'contract-1', key: new Uint8Array(32).fill(7) }];
export const CONTRACT_RECOVERY_CODE_PEPPER: readonly KeyInput[] = [
  { id: 'contract-pepper-1', key: new Uint8Array(32).fill(9) },
];
export const CONTRACT_SESSION_SIGNING_KEYS: readonly KeyInput[] = [
  { id: 'contract-jwt-1', key: new Uint8Array(32).fill(11) },
];

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
  /** A fresh organization and an active member in it. */
  provision(overrides?: { slug?: string; email?: string; externalId?: string; orgExternalId?: string }): Promise<{
    organizationId: string;
    memberId: string;
    organizationSlug: string;
  }>;
  close(): Promise<void>;
}

let provisioned = 0;

export async function createContractHarness(
  options: Pick<RepositoryContractOptions, 'createStore'>,
  serviceOptions: Partial<Omit<TotpServiceOptions, 'repository' | 'clock'>> = {},
): Promise<ContractHarness> {
  const store = await options.createStore();
  let nowMs = CONTRACT_START_MS;
  const service = createTotpService({
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
