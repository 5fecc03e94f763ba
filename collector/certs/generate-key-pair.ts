import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import forge from "node-forge";

/** RSA modulus size of every key we generate, in bits. */
export const RSA_KEY_BITS = 2048;

/** A fresh RSA key pair: the private key as PKCS#8 PEM plus forge objects for signing. */
export interface GeneratedKeyPair {
  /** Private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`), as written to *.key files. */
  keyPem: string;
  /** The same private key as a forge object. */
  privateKey: forge.pki.rsa.PrivateKey;
  /** The public key as a forge object. */
  publicKey: forge.pki.rsa.PublicKey;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** Generates an RSA key pair with Node's crypto (off the event loop; forge's pure-JS generator is slow). */
export async function generateRsaKeyPair(): Promise<GeneratedKeyPair> {
  const { privateKey: keyPem } = await generateKeyPairAsync("rsa", {
    modulusLength: RSA_KEY_BITS,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const privateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.rsa.setPublicKey(privateKey.n, privateKey.e);
  return { keyPem, privateKey, publicKey };
}
