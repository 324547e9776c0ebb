/**
 * Zod (v4) compiles fast parsers with `new Function` when it can, and finds out by calling `Function("")`.
 * The Content-Security-Policy (next.config.ts) has no 'unsafe-eval', so in the browser that probe is refused
 * and reported as a CSP violation, even though zod then falls back to its ordinary parsers. Saying so up
 * front keeps the CSP report clean, so a real violation stands out. Imported for its effect by
 * SessionGuard, which every page renders.
 */
import { z } from 'zod';

z.config({ jitless: true });
