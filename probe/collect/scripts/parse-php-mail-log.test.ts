import { describe, expect, it } from "vitest";
import { parsePhpMailLogLine, zonedTimeToUnixMs } from "./parse-php-mail-log.js";

// Lines as Debian's php8.2-cli wrote them (php -d mail.log=... m.php).
const UTC_LINE = "[07-Dec-2026 05:11:49 UTC] mail() on [/tmp/scripts-php/m.php:2]: To: a@example.com, b@example.org -- Headers: From: x@y.z  Message-ID: <abc@x>  Cc: c@example.net -- Subject: subj here";
const PARIS_LINE = "[07-Dec-2026 06:11:49 Europe/Paris] mail() on [/tmp/scripts-php/m.php:2]: To: a@example.com, b@example.org -- Headers: From: x@y.z  Message-ID: <abc@x>  Cc: c@example.net -- Subject: subj here";

describe("parsePhpMailLogLine", () => {
  it("reads the script, line, recipients (To and Cc) and the script's own Message-ID", () => {
    expect(parsePhpMailLogLine(UTC_LINE)).toEqual({
      tsUnixMs: Date.UTC(2026, 11, 7, 5, 11, 49),
      script: "/tmp/scripts-php/m.php",
      line: 2,
      recipients: ["a@example.com", "b@example.org", "c@example.net"],
      messageId: "abc@x",
      raw: UTC_LINE,
    });
  });

  it("converts the script's date.timezone to UTC", () => {
    expect(parsePhpMailLogLine(PARIS_LINE)?.tsUnixMs).toBe(Date.UTC(2026, 11, 7, 5, 11, 49));
    // Summer time in Paris is UTC+2.
    expect(zonedTimeToUnixMs([2026, 6, 1, 12, 0, 0], "Europe/Paris")).toBe(Date.UTC(2026, 6, 1, 10, 0, 0));
    expect(zonedTimeToUnixMs([2026, 6, 1, 12, 0, 0], "-05:00")).toBe(Date.UTC(2026, 6, 1, 17, 0, 0));
    expect(zonedTimeToUnixMs([2026, 6, 1, 12, 0, 0], "Nowhere/Atlantis")).toBeNull();
  });

  it("takes PHP 7's line without a Subject part, no headers, and eval()'d code as the file holding the eval", () => {
    const line = "[01-Mar-2024 10:00:00 UTC] mail() on [/var/www/site/wp-content/uploads/x.php(3) : eval()'d code:1]: To: victim@example.net -- Headers: ";
    const call = parsePhpMailLogLine(line);
    expect(call).toMatchObject({ script: "/var/www/site/wp-content/uploads/x.php", line: 1, recipients: ["victim@example.net"], messageId: null });
  });

  it("Bcc recipients count, and a header named like Cc inside another value does not", () => {
    const line = "[01-Mar-2024 10:00:00 UTC] mail() on [/a/b.php:9]: To: Name <one@example.com> -- Headers: Bcc: two@example.com, three@example.com  X-Note: cc: not@example.com -- Subject: s";
    expect(parsePhpMailLogLine(line)?.recipients).toEqual(["one@example.com", "two@example.com", "three@example.com"]);
  });

  it("refuses other lines", () => {
    expect(parsePhpMailLogLine("PHP Warning:  something")).toBeNull();
    expect(parsePhpMailLogLine("[07-Foo-2026 05:11:49 UTC] mail() on [/a.php:2]: To: a@b -- Headers: ")).toBeNull();
  });
});
