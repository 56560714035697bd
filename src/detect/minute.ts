/**
 * Match-minute arithmetic for the provider's minute strings ("29", "45+3", "90+", "105"): one copy,
 * shared with the client SDK (`@football-streaming-core/client/protocol`).
 */
export { minuteDistance, minuteSortKey, minuteValue, parseMinute } from '@football-streaming-core/client/protocol';
