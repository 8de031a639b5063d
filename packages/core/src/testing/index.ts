// @totp/core/testing: the contract suites every TotpRepository adapter runs (memory, Prisma, yours), and the harness
// they use. Import it from a vitest test file and call `runRepositoryContract` with a factory for a fresh, empty store.

export { CONTRACT_SUITES, runRepositoryContract, type ContractSkip, type RepositoryContractOptions } from './contract';
export {
  CONTRACT_ENCRYPTION_KEYS,
  CONTRACT_RECOVERY_CODE_PEPPER,
  CONTRACT_SESSION_SIGNING_KEYS,
  CONTRACT_START_MS,
  createContractHarness,
  type ContractHarness,
  type ContractStore,
  type SuiteContext,
} from './harness';
// Records with every field set, for an adapter's own tests: pass overrides for what the test is about.
export { errorTypeOf, memberRecord, organizationRecord, registrationRecord } from './fixtures';
