import type { RemediationFinding } from "./rule.js";

// Steps several rules share. Every rule's own steps come from the provider's
// troubleshooting guide (shared/seed: "Dépannage et directives en matière de
// pollupostage"), "Suggestions pour la résolution du problème" steps 1–6 and
// "Trouver la source du pollupostage" (lsof -Pni tcp:25 / tcp:587, lsof
// -Pnp PID, beware of processes named smtpd or sendmail). The guide's step is
// cited in brackets so an analyst can read the original. Commands are filled
// in with what the incident names (pid, account, queue ids) and the host's MTA.

/** " on <host>" for a host incident, " on <h1>, <h2>" for a fleet one. */
export function onHosts(f: RemediationFinding): string {
  return f.scopeHost !== "" ? ` on ${f.scopeHost}` : ` on ${f.hosts.join(", ")}`;
}

/** Guide step 5: delisting the outbound addresses once the source is fixed. */
export function delistStep(f: RemediationFinding): string {
  return `Check the outbound IP addresses${onHosts(f)} against the blacklists (Spamhaus, Barracuda, SpamCop...) and request delisting once the source is fixed [guide step 5: radiez les adresses IP des listes noires].`;
}

/** Guide step 4: removing the spam left in the queue, with the host's MTA commands and the incident's queue ids. */
export function purgeQueueStep(f: RemediationFinding, mtaKind: string): string {
  const queueIds = f.evidence.queue_ids.slice(0, 10);
  const account = typeof f.details.account === "string" ? f.details.account : undefined;
  const ids = queueIds.join(" ");
  switch (mtaKind) {
    case "exim":
      return ids
        ? `Remove the spam left in the queue [guide step 4]: check one with \`exim -Mvh ${queueIds[0]}\` then \`exim -Mrm ${ids}\`${account ? ` and the rest of ${account}'s mail (\`exim -bp\`, -auth_id ${account})` : ""}.`
        : "Remove the spam left in the queue [guide step 4]: `exim -bp`, `exiqgrep -i -f <sender> | xargs exim -Mrm`.";
    case "postfix":
      return ids
        ? `Remove the spam left in the queue [guide step 4]: check one with \`postcat -q ${queueIds[0]}\` then \`postsuper -d\` each of ${ids}${account ? ` and the rest of ${account}'s mail` : ""}.`
        : "Remove the spam left in the queue [guide step 4]: `postqueue -j`, then `postsuper -d <queue id>`.";
    default:
      return `Remove the spam left in the queue [guide step 4: supprimez les pourriels restants de la file d'attente]${ids ? `: queue ids ${ids}` : ""}.`;
  }
}
