// @totp/memory: the @totp/core repository port over Maps, for tests, demos and single-process apps.
// It passes the same contract suite (`@totp/core/testing`) as the database adapters.

export { createMemoryRepository, type MemoryRepository, type MemoryRepositoryDump } from './memory-repository';
export { createMemoryTotp, type MemoryTotp, type MemoryTotpOptions } from './memory-totp';
