// The repository contract: named suites of cases every TotpRepository adapter must pass, most of them through the real
// service. A fresh store per test; read-backs check what was stored; races check the atomic methods.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContractHarness, type ContractHarness, type ContractStore, type SuiteContext } from './harness';
import { housekeepingSuite } from './suites/housekeeping';
import { lockoutSuite } from './suites/lockout';
import { mfaAttemptSuite } from './suites/mfa-attempts';
import { portSuite } from './suites/port';
import { provisioningSuite } from './suites/provisioning';
import { racesSuite } from './suites/races';
import { recoveryCodesSuite } from './suites/recovery-codes';
import { registrationSuite } from './suites/registration';
import { sessionsSuite } from './suites/sessions';

export interface ContractSkip {
  /** Why the adapter cannot pass these tests: shown in the test names. */
  reason: string;
  /** Full test names as the suites give them ("<suite> > <test>"). */
  tests: readonly string[];
}

export interface RepositoryContractOptions {
  /** Shown in the test names, e.g. "memory" or "prisma (postgresql)". */
  name: string;
  /** A fresh, empty store for one test. */
  createStore(): ContractStore | Promise<ContractStore>;
  /** Per-test timeout for slow stores, in milliseconds. */
  timeoutMs?: number;
  /** Tests this adapter cannot pass, each with its reason. An entry naming no test fails the run. */
  skip?: readonly ContractSkip[];
}

/** The suites, by name: each is a `describe` of its own. */
export const CONTRACT_SUITES = {
  provisioning: provisioningSuite,
  registration: registrationSuite,
  'mfa attempts': mfaAttemptSuite,
  races: racesSuite,
  lockout: lockoutSuite,
  sessions: sessionsSuite,
  'recovery codes': recoveryCodesSuite,
  housekeeping: housekeepingSuite,
  port: portSuite,
} as const satisfies Record<string, (context: SuiteContext) => void>;

export function runRepositoryContract(options: RepositoryContractOptions): void {
  const timeout = options.timeoutMs ?? 20_000;
  const skipped = new Map<string, string>();
  for (const entry of options.skip ?? []) for (const test of entry.tests) skipped.set(test, entry.reason);
  const declared = new Set<string>();

  describe(`TotpRepository contract: ${options.name}`, { timeout }, () => {
    let harness: ContractHarness | undefined;
    beforeEach(async () => {
      harness = await createContractHarness(() => options.createStore());
    });
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });
    const h = (): ContractHarness => {
      if (harness === undefined) throw new Error('the contract harness is only available inside a test');
      return harness;
    };

    for (const [suiteName, suite] of Object.entries(CONTRACT_SUITES)) {
      describe(suiteName, () => {
        suite({
          h,
          test: (name, body) => {
            const fullName = `${suiteName} > ${name}`;
            declared.add(fullName);
            const reason = skipped.get(fullName);
            if (reason === undefined) it(name, body);
            else it.skip(`${name} [skipped by ${options.name}: ${reason}]`, body);
          },
        });
      });
    }

    it('skips only tests that exist', () => {
      expect([...skipped.keys()].filter((name) => !declared.has(name))).toEqual([]);
    });
  });
}
