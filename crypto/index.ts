/** Crypto layer: everything takes a CryptoProvider explicitly (see provider.ts). */
export * from './der';
export * from './ecdh';
export * from './ffdhe';
export * from './hash';
export * from './keylog';
export * from './provider';
export * from './record';
export * from './result';
export * from './rsa';
export * from './signature';
export * from './tls12';
export * from './tls13';
export * from './cache';
export * from './capabilities';
export * from './curves';
export * from './keys';
export * from './kem';
