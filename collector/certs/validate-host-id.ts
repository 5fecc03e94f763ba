import { HOST_ID_PATTERN } from "../../shared/types/host-id.js";

export { HOST_ID_PATTERN };

/** Throws an error naming the value and the rule when hostId is not a valid probe host id. */
export function validateHostId(hostId: string): void {
  if (!HOST_ID_PATTERN.test(hostId)) {
    throw new Error(`probe host id ${JSON.stringify(hostId)} must match ${HOST_ID_PATTERN.source}`);
  }
}
