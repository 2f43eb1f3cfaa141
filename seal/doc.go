// Package seal encrypts secrets that Stockroom keeps at rest, such as Etsy
// access and refresh tokens, with AES-256-GCM under a rotatable keyring.
//
// A sealed value is self-describing: it names the key that sealed it, so a
// keyring holding old and new keys can open every row while new writes use
// the primary key, and a background job can find and re-seal old rows with
// [Keyring.NeedsRotation].
//
// Every sealed value is bound to associated data naming where it lives
// (for example "store:42:access_token"); a ciphertext copied into another
// row or column fails to open.
package seal
