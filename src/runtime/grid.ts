/**
 * `workgroups` as an x-by-y grid within the per-dimension limit, in rows of
 * equal width: 65536 as 32768 x 2, not 65535 x 2 (nearly twice the
 * workgroups, the overhang exiting at once). Idle workgroups are not free:
 * each one is scheduled and runs its bounds guard before exiting.
 */
export function foldGrid(workgroups: number, maxPerDimension: number): [number, number] {
  const y = Math.ceil(workgroups / maxPerDimension);
  return [Math.ceil(workgroups / y), y];
}
