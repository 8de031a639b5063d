// Generates the server's Prisma clients before any test imports them (what `pnpm start` does before starting).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/generate-client.mjs', import.meta.url))], { stdio: 'inherit' });
}
