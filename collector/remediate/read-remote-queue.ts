import { describeRemoteFailure, type SshSession } from "../ssh/ssh-session.js";
import type { MtaCommands } from "./mta-commands.js";
import { parseEximAuthId, parseEximBp, parsePostcatSaslUsers, parsePostqueueJson, type QueuedMessage } from "./queued-message.js";

/** postcat ids per call: one SSH exec for many messages, under the argument-length limit. */
const POSTCAT_BATCH = 200;

/**
 * Lists the host's queue with the SASL user of each message: Postfix
 * `postqueue -j`, then `postcat -e -q` for the envelopes (sasl_username);
 * Exim `exim -bp`, then `exim -Mvh` per message (`-auth_id`). At most
 * `maxMessages` envelopes are read (the rest keep saslUser "").
 */
export async function readRemoteQueue(ssh: SshSession, mta: MtaCommands, maxMessages: number): Promise<QueuedMessage[]> {
  if (mta.kind === "postfix") {
    const listing = await ssh.run(mta.postqueueList());
    if (listing.exitCode !== 0) throw new Error(describeRemoteFailure(listing, ssh.target.user));
    const messages = parsePostqueueJson(listing.stdout);
    const ids = messages.slice(0, maxMessages).map((m) => m.queueId);
    const users = new Map<string, string>();
    for (let i = 0; i < ids.length; i += POSTCAT_BATCH) {
      // A message delivered meanwhile makes postcat exit 1 for that id; the others are still printed.
      const out = await ssh.run(mta.postcatEnvelopes(ids.slice(i, i + POSTCAT_BATCH)));
      for (const [id, user] of parsePostcatSaslUsers(out.stdout)) users.set(id, user);
    }
    return messages.map((m) => ({ ...m, saslUser: users.get(m.queueId) ?? "" }));
  }
  const listing = await ssh.run(mta.eximList());
  if (listing.exitCode !== 0) throw new Error(describeRemoteFailure(listing, ssh.target.user));
  const messages = parseEximBp(listing.stdout);
  for (const m of messages.slice(0, maxMessages)) {
    const header = await ssh.run(mta.eximHeaderFile(m.queueId));
    if (header.exitCode === 0) m.saslUser = parseEximAuthId(header.stdout);
  }
  return messages;
}
