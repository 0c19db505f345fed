/**
 * The gateway's Node options under `npm start` and docker-compose (GATEWAY_NODE_OPTIONS overrides): a capped old
 * space makes V8 collect a request's short-lived garbage (a 100k-row roster plan allocates ~1.5 GB of it) before the
 * heap grows to four times what is live. bench:roster runs both of its phases with the same options.
 */
export const GATEWAY_NODE_OPTIONS = '--max-old-space-size=384';
