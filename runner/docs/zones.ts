/** The order of zones in the graph, shared by the generator and the page (no imports: it runs in both). */

/** Zones from left to right; any other zone follows them. */
export const ZONE_ORDER = ['landing', 'seeds', 'trusted', 'curated', 'audit'];

export function zoneRank(zone: string): number {
  const i = ZONE_ORDER.indexOf(zone);
  return i >= 0 ? i : ZONE_ORDER.length;
}
