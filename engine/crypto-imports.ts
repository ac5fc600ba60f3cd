/** The crypto layer and the two wire helpers the engine uses with it, from one place. */
export * from '../crypto';
export { serverKeyExchangeParamsLength } from '../wire/handshake';
