import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HostFiles } from "../mta/host-files.js";
import { findPhpMailLogs, mailLogsInConfig } from "./find-php-mail-logs.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<HostFiles> {
  const root = await mkdtemp(join(tmpdir(), "php-tree-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return new HostFiles(root);
}

describe("findPhpMailLogs", () => {
  it("finds mail.log in php.ini, conf.d and PHP-FPM pools (with $pool), ServerPilot's per-app pools, and skips syslog and comments", async () => {
    const files = await tree({
      "/etc/php/8.2/cli/php.ini": "[mail function]\n;mail.log = /var/log/commented.log\nmail.log = syslog\n",
      "/etc/php/8.2/fpm/conf.d/99-mail.ini": 'mail.log = "/var/log/php/mail.log" ; all pools\n',
      "/etc/php/8.2/fpm/pool.d/www.conf": "[www]\nuser = www-data\nphp_admin_value[mail.log] = /var/log/php/$pool-mail.log\n",
      "/etc/php8.1-sp/fpm-pools.d/shop.conf": "[shop]\nphp_admin_value[mail.log] = /srv/users/serverpilot/log/shop/shop_php8.1.mail.log\n",
      "/etc/php.d/unrelated.ini": "memory_limit = 128M\n",
    });
    expect(await findPhpMailLogs(files, undefined)).toEqual([
      { path: "/srv/users/serverpilot/log/shop/shop_php8.1.mail.log", setBy: "/etc/php8.1-sp/fpm-pools.d/shop.conf" },
      { path: "/var/log/php/mail.log", setBy: "/etc/php/8.2/fpm/conf.d/99-mail.ini" },
      { path: "/var/log/php/www-mail.log", setBy: "/etc/php/8.2/fpm/pool.d/www.conf" },
    ]);
  });

  it("asks php -i when php exists (the value PHP really uses)", async () => {
    const files = await tree({ "/usr/bin/php": "#!/bin/sh\n" });
    const { chmod } = await import("node:fs/promises");
    await chmod(files.local("/usr/bin/php"), 0o755);
    const run = async (): Promise<{ code: number; stdout: string; stderr: string }> => ({ code: 0, stdout: "mail.add_x_header => Off => Off\nmail.log => /var/log/php-mail.log => /var/log/php-mail.log\n", stderr: "" });
    expect(await findPhpMailLogs(files, run)).toEqual([{ path: "/var/log/php-mail.log", setBy: "/usr/bin/php -i" }]);
  });

  it("reads php_value too and single quotes", () => {
    expect(mailLogsInConfig("[a]\nphp_value[mail.log]='/l/$pool.log'\n")).toEqual(["/l/a.log"]);
  });
});
