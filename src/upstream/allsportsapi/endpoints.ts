/** AllSportsAPI's public endpoints: the defaults of `ALLSPORTS_BASE_URL` and `ALLSPORTS_WS_URL` (config.ts). */

/** The REST API (`met=Livescore`, `met=Fixtures`); the key goes in `APIkey=`. */
export const DEFAULT_BASE_URL = 'https://apiv2.allsportsapi.com/football/';

/** The provider's WebSocket push feed (FORMAT.md §9); the key goes in `APIkey=`. */
export const DEFAULT_WS_URL = 'wss://wss.allsportsapi.com/live_events';
