import type { HostFiles } from "./host-files.js";
import type { MtaFlavour } from "./mta-detection.js";

/** Marker paths, checked in order: hosting panels before distributions, since a panel runs on a distribution. */
export const FLAVOUR_MARKERS: ReadonlyArray<readonly [MtaFlavour, string]> = [
  ["plesk", "/usr/local/psa"],
  ["cpanel", "/usr/local/cpanel"],
  ["directadmin", "/usr/local/directadmin"],
  ["debian", "/etc/debian_version"],
  ["rhel", "/etc/redhat-release"],
];

/** The panel or distribution the MTA was installed by, with the marker found in evidence; undefined when none matches. */
export async function detectFlavour(files: HostFiles, evidence: string[]): Promise<MtaFlavour | undefined> {
  for (const [flavour, marker] of FLAVOUR_MARKERS) {
    if (await files.exists(marker)) {
      evidence.push(`${marker} exists: flavour ${flavour}`);
      return flavour;
    }
  }
  return undefined;
}
