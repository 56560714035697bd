/** API-Football's default base URL (the API-SPORTS account's host): the default of `APIFOOTBALL_BASE_URL` (config.ts). */
export const DEFAULT_BASE_URL = 'https://v3.football.api-sports.io/';
