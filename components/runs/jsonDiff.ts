/** The JSON diff lives with the server's isomorphic leaves (server/spine/jsonDiff.ts): run comparison computes it there too. */
export { jsonDiff, jsonPath, type JsonChange } from '@/server/spine/jsonDiff';
