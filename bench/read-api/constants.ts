/** Fixed settings of the read API bench shared by its parts: tenant, API key, segments, client sockets, polling. */

export const TENANT = 'bench';
export const API_KEY = 'benchkey';
export const EXPORT_SEGMENT = 'export-all';
export const EFFECT_SEGMENT = 'spent-100';
/** Sockets of the lookup client: far more than the server needs at the target, a bound when it stalls. */
export const MAX_SOCKETS = 64;
/** Pause between two polls of part 3, after the answer of the previous one. */
export const POLL_MS = 10;
