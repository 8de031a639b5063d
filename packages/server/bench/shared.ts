// What the benchmark's load generator and its servers share: credentials, the members' TOTP secret, and a clock
// that runs 100 times faster than real time, so each member can authenticate a fresh time step every 300 ms.

import { createHmac } from 'node:crypto';

export const BENCH_AUTH_PROJECT_ID = 'project-test-bench';
export const BENCH_SECRET = 'secret-test-bench';
export const BENCH_AUTH_HEADER = `Basic ${Buffer.from(`${BENCH_AUTH_PROJECT_ID}:${BENCH_SECRET}`).toString('base64')}`;
/** RFC 4226 Appendix D's key ("12345678901234567890") in base32. */
export const BENCH_TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const KEY = Buffer.from('12345678901234567890');

export const CLOCK_SPEEDUP = 100;

/** The accelerated clock; parent and children agree on its origin through BENCH_CLOCK_ORIGIN. */
export function benchClock(): () => number {
  const origin = Number(process.env.BENCH_CLOCK_ORIGIN ?? Date.now());
  process.env.BENCH_CLOCK_ORIGIN = String(origin);
  return () => origin + (Date.now() - origin) * CLOCK_SPEEDUP;
}

/** RFC 6238 with SHA-1 and 6 digits for a given 30-second step, on node:crypto (independent of core). */
export function benchCode(step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', KEY).update(counter).digest();
  const offset = (mac[19] as number) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

export interface ServerReady {
  port: number;
  members: Array<{ organization_id: string; member_id: string; session_token: string }>;
}
