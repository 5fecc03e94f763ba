import type { Finding } from "../detect/finding.js";

/**
 * Next steps per rule, from the provider's troubleshooting guide
 * (shared/seed: "Dépannage et directives en matière de pollupostage"),
 * "Suggestions pour la résolution du problème" steps 1–6 and "Trouver la
 * source du pollupostage" (lsof -Pni tcp:25 / tcp:587, lsof -Pnp PID,
 * beware of processes named smtpd or sendmail). The guide's step is cited in
 * brackets so an analyst can read the original. Commands are filled in with
 * what the incident names (pid, account, queue ids) and the host's MTA.
 */
export function remediationSteps(f: Pick<Finding, "rule" | "check" | "subject" | "scopeHost" | "hosts" | "details" | "evidence">, mtaKind: string): string[] {
  const d = f.details;
  const on = f.scopeHost !== "" ? ` on ${f.scopeHost}` : ` on ${f.hosts.join(", ")}`;
  const queueIds = f.evidence.queue_ids.slice(0, 10);
  const purge = purgeQueueStep(mtaKind, queueIds, typeof d.account === "string" ? d.account : undefined);
  const delist = `Check the outbound IP addresses${on} against the blacklists (Spamhaus, Barracuda, SpamCop...) and request delisting once the source is fixed [guide step 5: radiez les adresses IP des listes noires].`;
  switch (f.rule) {
    case "compromised-account": {
      const account = String(d.account ?? f.subject);
      const ips = Array.isArray(d.client_ips) ? (d.client_ips as string[]).slice(0, 10) : typeof d.client_ip === "string" ? [d.client_ip] : [];
      const accounts = Array.isArray(d.accounts) ? (d.accounts as string[]).slice(0, 20).join(", ") : account;
      return [
        f.check === "fleet-client-ip"
          ? `Change the passwords of every account client ${f.subject} logged in as (${accounts}) and end their sessions [guide step 3.1: en cas de compte courriel compromis, changez le mot de passe du compte].`
          : `Change the password of ${account}${on} and end its open sessions (IMAP/SMTP) [guide step 3.1: changez le mot de passe du compte].`,
        ...(ips.length > 0 ? [`Block or rate-limit the client IPs ${ips.join(", ")} at the firewall / MTA while you investigate.`] : []),
        purge,
        "Check the Received: chain and X- headers of a complaint sample: the oldest Received: line should be your server when the account was used as a relay [guide: analysez les en-têtes].",
        delist,
        "Enforce strong passwords and per-account sending limits (Postfix smtpd_client_message_rate_limit / policy daemon, Exim ratelimit ACL) [guide step 6].",
      ];
    }
    case "open-relay":
      return [
        mtaKind === "exim"
          ? `Restrict relaying${on}: set relay_from_hosts to your own networks only and require authentication for everyone else, then restart Exim [guide step 3.3: le paramétrage doit être revu].`
          : `Restrict relaying${on}: mynetworks must list only your own networks and smtpd_relay_restrictions must end with reject_unauth_destination (permit_sasl_authenticated before it), then \`postfix reload\` [guide step 3.3: le paramétrage doit être revu].`,
        `Confirm with \`spamtrace relay-check ${typeof (d.listeners as string[] | undefined)?.[0] === "string" ? (d.listeners as string[])[0] : f.scopeHost}\` that outside recipients are now refused.`,
        purge,
        delist,
      ];
    case "direct-to-mx": {
      const pid = typeof d.pid === "number" ? d.pid : undefined;
      return [
        `Inspect the process${on}: \`lsof -Pnp ${pid ?? "<PID>"}\` — its cwd and txt lines show where the script lives${typeof d.cwd === "string" && d.cwd ? ` (cwd ${d.cwd})` : ""} [guide: inspectez les processus suspects avec lsof].`,
        `List the other outbound SMTP connections: \`lsof -Pni tcp:25\` and \`lsof -Pni tcp:587\` [guide: vérifiez à l'aide de lsof les connexions sortantes].`,
        `This process is not the MTA even if it is called ${String(d.comm ?? "sendmail")}: spammers name their tools smtpd or sendmail on purpose. Save a copy of ${String(d.exe ?? "the executable")} (sha256 ${String(d.exe_sha256 || "unknown")}) for analysis, then stop it (\`kill -STOP ${pid ?? "<PID>"}\`, then kill) — never kill the real MTA [guide: faites preuve de prudence avant de tuer].`,
        `Find how it got there (the web account ${String(d.user ?? "")}'s sites, cron jobs, uploads) and secure the site [guide step 3.2: site Web compromis].`,
        delist,
      ];
    }
    case "web-script": {
      const script = String(d.script || d.identity || f.subject);
      return [
        `Disable the script ${script}${on} (chmod 000 or move it out of the web root) and look for other files dropped next to it [guide step 3.2: en cas de site Web compromis].`,
        "Update or remove the vulnerable CMS, plugin or contact form; rotate the site's FTP/SSH/CMS passwords.",
        purge,
        delist,
      ];
    }
    case "backscatter":
      return [
        `Stop accepting mail for unknown recipients${on} and bouncing it later: reject at RCPT time (Postfix local_recipient_maps / reject_unverified_recipient, Exim verify = recipient) [guide: rétrodiffusion; step 3.3 le paramétrage doit être revu].`,
        mtaKind === "exim"
          ? "Remove the queued bounces: `exiqgrep -i -f '^<>$' | xargs exim -Mrm` [guide step 4]."
          : "Remove the queued bounces: `postqueue -j | jq -r 'select(.sender == \"\") | .queue_id' | postsuper -d -` [guide step 4].",
        delist,
      ];
    case "queue-surge": {
      const senders = Array.isArray(d.top_senders) ? (d.top_senders as { key: string; count: number }[]).slice(0, 3).map((s) => s.key) : [];
      return [
        `Find who filled the queue${on}: top senders ${senders.join(", ") || "(see evidence)"} — read the logs for their queue ids and follow the compromised-account or web-script steps [guide step 2: inspectez les journaux et la file d'attente].`,
        mtaKind === "exim"
          ? `Remove the spam left in the queue: \`exiqgrep -i -f '<sender>' | xargs exim -Mrm\` [guide step 4].`
          : `Remove the spam left in the queue: \`postqueue -j | jq -r 'select(.sender == "<sender>") | .queue_id' | postsuper -d -\` [guide step 4].`,
        delist,
      ];
    }
    case "auth-bruteforce":
      return [
        `Block ${f.subject} at the firewall or with fail2ban${on} [guide: comptes compromis — essais de milliers de combinaisons].`,
        `Check whether any login from ${f.subject} succeeded (a compromised-account incident is raised when it does) and change those passwords [guide step 3.1].`,
        "Enforce strong passwords and lock-out/delay after failures (Dovecot auth_failure_delay, Postfix anvil limits) [guide step 6].",
      ];
  }
}

function purgeQueueStep(mtaKind: string, queueIds: readonly string[], account: string | undefined): string {
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
