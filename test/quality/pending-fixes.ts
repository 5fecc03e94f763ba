// The ONE place that says which other helpers' fixes (issue 12) are merged on
// this branch. A scenario or expectation marked `needs: "<fix>"` is run and
// printed either way, but asserted only when its fix is `true` here: the lead
// flips an entry after merging that helper's branch. Never flip one to make
// the test pass without the fix — the printed table shows what really happened.

/** Issue 12 fixes that live on other branches. */
export const PENDING_FIXES = {
  /** relay helper, item 1: open relay judged by destination and permission (Postfix `error` agent, permitted app server). */
  relay: true,
  /** quiet helper, items 2–4: backscatter during a wave, shared NAT, small newsletter. */
  quiet: true,
  /** scripts helper, item 6: Postfix scripts named by path. */
  scripts: true,
} as const satisfies Record<string, boolean>;

/** A fix named in {@link PENDING_FIXES}. */
export type PendingFix = keyof typeof PENDING_FIXES;

/** True when the fix is merged here, so what needs it is asserted. */
export function isMerged(fix: PendingFix | undefined): boolean {
  return fix === undefined || PENDING_FIXES[fix];
}
