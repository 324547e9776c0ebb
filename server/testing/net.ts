/** A free loopback port for a server a test is about to start. */
export { freePort as freeUrlPort } from './postgres';
