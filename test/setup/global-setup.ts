import { ensureDebianPackages } from "./apt-packages.js";
import { installClickHouseServer } from "./clickhouse-server.js";
import { ensureNode18 } from "./node18.js";

/**
 * Installs the real services the integration tests start: lsof (the probe's
 * fallback socket source, compared against /proc) and Debian's
 * clickhouse-server 18.16. Each test file starts and stops its own servers
 * on loopback ports of their own.
 */
export default async function globalSetup(): Promise<void> {
  await ensureDebianPackages([
    { name: "lsof", marker: "/usr/bin/lsof" },
    { name: "openssh-server", marker: "/usr/sbin/sshd" }, // the Ansible rollout test's own sshd
    { name: "ansible", marker: "/usr/bin/ansible-playbook" },
    { name: "acl", marker: "/usr/bin/setfacl" }, // the probe role's ACL on RHEL's root-only maillog
  ]);
  await installClickHouseServer();
  await ensureNode18(); // the probe bundle must run on Debian 12's Node 18
}
