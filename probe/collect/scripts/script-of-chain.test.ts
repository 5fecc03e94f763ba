import { describe, expect, it } from "vitest";
import { scriptOfChain } from "./script-of-chain.js";
import type { ChainProcess } from "./script-submission.js";

const p = (argv: string[], cwd: string | null = "/", exe: string | null = null): ChainProcess => ({ pid: 1, comm: argv[0]?.split("/").pop()?.slice(0, 15) ?? "", argv, cwd, exe });
const POSTDROP = p(["/usr/sbin/postdrop", "-r"], "/var/spool/postfix");

// Chains as /proc showed them for the lab's real Postfix (writer first).
describe("scriptOfChain", () => {
  it("a shell script piping into sendmail is named by its full path", () => {
    const chain = [POSTDROP, p(["/usr/sbin/sendmail", "-C", "/lab/etc", "-t", "-i"]), p(["sh", "/home/webuser1/public_html/explore.sh"], "/tmp"), p(["runuser", "-u", "webuser1", "--", "sh", "/home/webuser1/public_html/explore.sh"])];
    expect(scriptOfChain(chain)).toEqual({ script: "/home/webuser1/public_html/explore.sh", at: 2, sender: null, php: false });
  });

  it("PHP's popen() wrapper (sh -c) is passed through to the php script; a relative path is resolved against php's cwd", () => {
    const chain = [POSTDROP, p(["/usr/sbin/sendmail", "-t", "-i", "-fnews@shop.example"]), p(["sh", "-c", "/usr/sbin/sendmail -t -i"]), p(["php", "-d", "x=1", "mailer.php"], "/var/www/shop")];
    expect(scriptOfChain(chain)).toEqual({ script: "/var/www/shop/mailer.php", at: 3, sender: "news@shop.example", php: true });
  });

  it("php-fpm names no script (its mail.log does), and neither does an interactive shell under sshd", () => {
    expect(scriptOfChain([POSTDROP, p(["/usr/sbin/sendmail", "-t", "-i"]), p(["sh", "-c", "/usr/sbin/sendmail -t -i"]), p(["php-fpm: pool www"])])).toEqual({ script: null, at: -1, sender: null, php: true });
    expect(scriptOfChain([POSTDROP, p(["sendmail", "-f", "<a@b.example>", "x@y"]), p(["-bash"]), p(["sshd: alice@pts/0"])])).toEqual({ script: null, at: -1, sender: "a@b.example", php: false });
  });

  it("a compiled program that ran sendmail is named by its executable; python -c is inline code", () => {
    expect(scriptOfChain([POSTDROP, p(["sendmail", "-t"]), p(["./blaster", "--fast"], "/home/u", "/home/u/.cache/blaster")]).script).toBe("/home/u/.cache/blaster");
    expect(scriptOfChain([POSTDROP, p(["sendmail", "-t"]), p(["python3", "-c", "import os"]), p(["python3", "/opt/app/run.py"])]).script).toBe("/opt/app/run.py");
    expect(scriptOfChain([POSTDROP, p(["sendmail", "-t"]), p(["perl", "-I", "/lib", "/home/u/cgi-bin/form.pl"], "/home/u")]).script).toBe("/home/u/cgi-bin/form.pl");
  });

  it("an unreadable parent (argv empty) ends the trail", () => {
    expect(scriptOfChain([POSTDROP, p(["sendmail", "-t"]), p([])]).script).toBeNull();
  });
});
