/** A fresh history name: 12 random URL-safe characters, valid inside a cursor. */
export function newEpoch(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(9))).toString('base64url');
}
