/**
 * Outbound network: every call Spine makes to the outside goes through `outboundFetch` (no private
 * addresses unless allowed, size and time limits); webhooks are signed and verified here. Callers import
 * from `@/server/net`.
 */
export { outboundFetch, parseAllowList, isForbiddenAddress, type AllowList, type OutboundInit } from './outbound';
export { signWebhook, verifyWebhook } from './webhooks';
