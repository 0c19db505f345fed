/** Injection token of the poller's pino logger. */
export const POLLER_LOGGER = Symbol('POLLER_LOGGER');
