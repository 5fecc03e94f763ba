// The network helpers live in shared/ (the probe judges relay permission with them too).
export { canonicalIp, inNetwork, IpNetworks, isCidr, networkOf, parseCidr, type IpNetwork } from "../../shared/net/ip-networks.js";
