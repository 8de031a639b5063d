// A ready-to-use TOTP service over the in-memory store, for a host app's own tests and for demos.
// Keys not given are generated per instance, which is right for tests and wrong for anything that must survive a restart.

import { createTotpService, nobleCrypto, type KeyInput, type TotpService, type TotpServiceOptions } from '@totp/core';
import { createMemoryRepository, type MemoryRepository } from './memory-repository';

export type MemoryTotpOptions = Omit<TotpServiceOptions, 'repository' | 'encryptionKeys' | 'recoveryCodePepper' | 'sessionSigningKeys'> & {
  encryptionKeys?: readonly KeyInput[];
  recoveryCodePepper?: readonly KeyInput[];
  sessionSigningKeys?: readonly KeyInput[];
};

export interface MemoryTotp {
  repository: MemoryRepository;
  service: TotpService;
}

export function createMemoryTotp(options: MemoryTotpOptions = {}): MemoryTotp {
  const crypto = options.crypto ?? nobleCrypto;
  const repository = createMemoryRepository();
  const service = createTotpService({
    ...options,
    repository,
    encryptionKeys: options.encryptionKeys ?? [{ id: 'memory', key: crypto.randomBytes(32) }],
    recoveryCodePepper: options.recoveryCodePepper ?? [{ id: 'memory', key: crypto.randomBytes(32) }],
    sessionSigningKeys: options.sessionSigningKeys ?? [{ id: 'memory', key: crypto.randomBytes(32) }],
  });
  return { repository, service };
}
