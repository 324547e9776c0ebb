/**
 * The tRPC API the browser speaks (`/api/trpc`): the app router, its context (the caller's actor and the
 * runtime's services) and the fetch handler the route file mounts. Callers import from `@/server/api`.
 */
export { appRouter, createCaller, type AppRouter } from './root';
export { createContext, createContextInner, type Context, type Services } from './trpc';
export { handleTrpc, TRPC_MAX_BODY_BYTES } from './handler';
export { LOCAL_OPERATOR } from './actor';
export type { Me } from './routers/session';
