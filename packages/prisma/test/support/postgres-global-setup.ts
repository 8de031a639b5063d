// Gives the PostgreSQL tests a server: TOTP_TEST_POSTGRES_URL when set (CI starts one), else a throwaway cluster
// started here with scripts/postgres.sh and stopped after the run. If neither works the tests fail; none is skipped.
// And a PgBouncer in front of it: TOTP_TEST_PGBOUNCER_URL (CI), else one started with scripts/pgbouncer.sh if installed.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PGBOUNCER_SCRIPT, POSTGRES_SCRIPT } from './paths';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { url: string | null; error: string | null };
    pgbouncer: { url: string | null; error: string | null };
  }
}

const run = (args: string[]) => execFileSync('bash', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const failure = (error: unknown) => (error as { stderr?: string }).stderr?.trim() || String(error);

/** A PgBouncer in transaction pooling mode in front of `postgresUrl`; returns how to stop it. */
function providePgBouncer(project: TestProject, postgresUrl: string | null): () => void {
  const fromEnvironment = process.env.TOTP_TEST_PGBOUNCER_URL;
  if (fromEnvironment || postgresUrl === null) {
    const error = postgresUrl === null ? 'no PostgreSQL server to put PgBouncer in front of' : null;
    project.provide('pgbouncer', { url: fromEnvironment || null, error });
    return () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'totp-pgbouncer-test-'));
  try {
    project.provide('pgbouncer', { url: run([PGBOUNCER_SCRIPT, 'start', dir, postgresUrl]), error: null });
  } catch (error) {
    project.provide('pgbouncer', {
      url: null,
      error: `starting PgBouncer failed (Debian: apt-get install -y pgbouncer): ${failure(error)}`,
    });
  }
  return () => {
    try {
      run([PGBOUNCER_SCRIPT, 'stop', dir]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

export default function setup(project: TestProject): () => void {
  const fromEnvironment = process.env.TOTP_TEST_POSTGRES_URL;
  if (fromEnvironment) {
    project.provide('postgres', { url: fromEnvironment, error: null });
    return providePgBouncer(project, fromEnvironment);
  }
  const dir = mkdtempSync(join(tmpdir(), 'totp-pg-test-'));
  try {
    const url = run([POSTGRES_SCRIPT, 'start', dir, '--fast']);
    project.provide('postgres', { url, error: null });
  } catch (error) {
    project.provide('postgres', {
      url: null,
      error:
        'No PostgreSQL for the @totp/prisma tests: TOTP_TEST_POSTGRES_URL is not set and starting a throwaway cluster ' +
        `failed (install the server, e.g. apt-get install -y postgresql, or set TOTP_TEST_POSTGRES_URL): ${failure(error)}`,
    });
    rmSync(dir, { recursive: true, force: true });
    return providePgBouncer(project, null);
  }
  const stopPgBouncer = providePgBouncer(project, run([POSTGRES_SCRIPT, 'url', dir]));
  return () => {
    try {
      stopPgBouncer();
      execFileSync('bash', [POSTGRES_SCRIPT, 'stop', dir], { stdio: 'ignore' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
