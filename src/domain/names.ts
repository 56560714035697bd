/** Names compared the way people write them: one copy, used by incident identity and the providers' parsers. */

/** Lower-case, accents and punctuation removed: "Dembélé, O." ~ "dembele o". */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
