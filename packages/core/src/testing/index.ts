// @totp/core/testing: the contract suite every TotpRepository adapter runs (memory, Prisma, yours).
// Import it from a vitest test file and call `runRepositoryContract` with a factory for a fresh, empty store.

export { runRepositoryContract, type ContractStore, type RepositoryContractOptions } from './contract';
export { errorTypeOf } from './contract-mfa';
export {
  CONTRACT_ENCRYPTION_KEYS,
  CONTRACT_RECOVERY_CODE_PEPPER,
  CONTRACT_SESSION_SIGNING_KEYS,
  CONTRACT_START_MS,
  createContractHarness,
  type ContractHarness,
} from './harness';
