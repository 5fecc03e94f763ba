/** One header of the complaint: lower-case name, unfolded value. */
export interface MailHeader {
  key: string;
  value: string;
}

/** What the X- headers (PHP, cPanel, panels) name about the sender. */
export interface HeaderIdentities {
  saslUser: string | null;
  localUser: string | null;
  uid: number | null;
  script: string | null;
  /** Host names the headers name as the sending server (cPanel Primary Hostname, X-Get-Message-Sender-Via host). */
  hostNames: string[];
  /** One line per header used, "Header: value". */
  evidence: string[];
}

const unfold = (v: string): string => v.replace(/\s+/g, " ").trim();

/**
 * Reads the headers PHP and hosting panels add: X-PHP-Originating-Script
 * ("uid:script"), X-PHP-Script, cPanel X-AntiAbuse (Primary Hostname,
 * Originator/Caller UID/GID), X-Get-Message-Sender-Via ("host:
 * authenticated_id: user" or "host: user/path"), X-Authenticated-Sender
 * ("host: user"), X-Source-Dir / X-Source-Args (the script cPanel ran).
 */
export function headerIdentities(headers: readonly MailHeader[]): HeaderIdentities {
  const out: HeaderIdentities = { saslUser: null, localUser: null, uid: null, script: null, hostNames: [], evidence: [] };
  const cite = (h: MailHeader): void => {
    out.evidence.push(`${h.key}: ${unfold(h.value)}`.slice(0, 300));
  };
  for (const h of headers) {
    const v = unfold(h.value);
    switch (h.key) {
      case "x-php-originating-script": {
        const m = /^(\d+):(.+)$/.exec(v);
        if (m) {
          out.uid ??= Number(m[1]);
          out.script ??= m[2]!.trim();
        } else out.script ??= v;
        cite(h);
        break;
      }
      case "x-php-script": {
        out.script ??= v.replace(/ for \S+$/, "");
        cite(h);
        break;
      }
      case "x-antiabuse": {
        const host = /^Primary Hostname - (\S+)/i.exec(v)?.[1];
        if (host) out.hostNames.push(host.toLowerCase());
        const uid = /^Originator\/Caller UID\/GID - \[(\d+) \d+\]/i.exec(v)?.[1];
        if (uid !== undefined) out.uid ??= Number(uid);
        if (host || uid !== undefined) cite(h);
        break;
      }
      case "x-get-message-sender-via": {
        const m = /^(\S+?):\s*(.*)$/.exec(v);
        if (!m) break;
        out.hostNames.push(m[1]!.toLowerCase());
        const auth = /authenticated_id:\s*(\S+)/.exec(m[2]!)?.[1];
        const owner = /^([a-z0-9_.-]+)\/(\S*)$/i.exec(m[2]!);
        if (auth) out.saslUser ??= auth;
        else if (owner) {
          out.localUser ??= owner[1]!;
          if (owner[2]) out.script ??= owner[2];
        }
        cite(h);
        break;
      }
      case "x-authenticated-sender": {
        const m = /^(\S+?):\s*(\S+)$/.exec(v);
        if (m) {
          out.hostNames.push(m[1]!.toLowerCase());
          // "mailnull" is Exim's own user on cPanel (a bounce or a forward), not a customer.
          if (m[2] !== "mailnull") out.saslUser ??= m[2]!;
        } else if (/^\S+@\S+$/.test(v)) out.saslUser ??= v;
        cite(h);
        break;
      }
      case "x-source-dir":
      case "x-source-args": {
        if (v.length > 0 && h.key === "x-source-dir") {
          out.script ??= v;
          cite(h);
        }
        break;
      }
      default:
        break;
    }
  }
  out.hostNames = [...new Set(out.hostNames)];
  return out;
}
