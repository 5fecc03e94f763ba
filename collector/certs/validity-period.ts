/** How far notBefore is backdated so a peer whose clock is slightly behind still accepts a fresh certificate. */
export const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60_000;

const DAY_MS = 24 * 60 * 60_000;

/** The notBefore/notAfter of a certificate valid for `days` from `now`, never past `notAfterLimit` (the issuer's expiry). */
export function validityPeriod(
  days: number,
  now: Date = new Date(),
  notAfterLimit?: Date,
): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`days ${String(days)} must be an integer >= 1`);
  }
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_ALLOWANCE_MS);
  let notAfter = new Date(now.getTime() + days * DAY_MS);
  if (notAfterLimit !== undefined && notAfter > notAfterLimit) notAfter = new Date(notAfterLimit);
  return { notBefore, notAfter };
}
