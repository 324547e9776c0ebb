/**
 * A child-process writer for multi-process tests: opens its own spine on DATABASE_URL and runs
 * `writers` concurrent loops of `count` sequential appends each. Prints `done <n>` on success.
 * Usage: tsx server/testing/appendWorker.ts <writers> <count> <label>
 */
import { openSpine } from '@/server/spine';

const [writers, count, label] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? 'w'];
const spine = await openSpine({ databaseUrl: process.env.DATABASE_URL!, migrate: false });
let n = 0;
await Promise.all(
  Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < count; i++) {
      await spine.publish({ type: 'load.appended', key: `${label}-${w}`, payload: { w, i, label, sentAt: Date.now() } });
      n++;
    }
  }),
);
await spine.close();
console.log(`done ${n}`);
