// Paths the tests share.

import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const POSTGRES_SCRIPT = fileURLToPath(new URL('../../scripts/postgres.sh', import.meta.url));
export const PGBOUNCER_SCRIPT = fileURLToPath(new URL('../../scripts/pgbouncer.sh', import.meta.url));
