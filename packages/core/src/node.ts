// @totp/core/node: the node:crypto CryptoProvider, for Node hosts (the reference server, the Node adapters).
// `createTotpService({ crypto: nodeCrypto, … })`: the same bytes as the pure default, through OpenSSL.

export { nodeCrypto } from './crypto/node';
