// Every scenario of the detection-quality run (test/detection-quality.test.ts).
import type { Scenario } from "../scenario.js";
import { burstThenSuccess, credentialSpray, dictionaryAttack } from "./auth-attacks.js";
import { contactForm, inboundMail, ordinaryUsers, sharedNat, smallNewsletter } from "./normal-traffic.js";
import { backscatterDuringWave, openRelayAbuse, permittedAppServer } from "./relay-and-bounces.js";
import { accountSpamWave, eximWebScript, postfixPhpScript } from "./spam-waves.js";

/** Attacks first, then the normal traffic around them; all run at once. */
export const SCENARIOS: readonly Scenario[] = [
  credentialSpray,
  dictionaryAttack,
  burstThenSuccess,
  accountSpamWave,
  eximWebScript,
  postfixPhpScript,
  openRelayAbuse,
  backscatterDuringWave,
  permittedAppServer,
  sharedNat,
  smallNewsletter,
  contactForm,
  inboundMail,
  ordinaryUsers,
];
