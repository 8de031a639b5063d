import { runRepositoryContract } from '@totp/core/testing';
import { createMemoryRepository } from './memory-repository';

runRepositoryContract({
  name: 'memory',
  createStore: () => {
    const repository = createMemoryRepository();
    return { repository, dump: () => repository.dump() };
  },
});
