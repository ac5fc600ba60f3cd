/**
 * The mutation catalogue: every declaration of the mutation model, in a
 * fixed order (the offline reports and the live runs' coverage order follow
 * it), checked when this module loads (unique names, known rule ids,
 * versions that fit the rules, bases of those versions: model.ts
 * `checkMutation`). A new mutation is one declaration in one of the files
 * below; nothing else lists it.
 */
import { checkedCatalogue, type EngineFault, isOffline, type Mutation } from './model';
import { CERT_COMPRESSION_MUTATIONS } from './ops-cert-compression';
import { CHAIN_MUTATIONS, CLIENT_CERTIFICATE_MUTATIONS } from './ops-certs';
import { CLIENT_TARGET_MUTATIONS } from './ops-client-target';
import { CLOSURE_MUTATIONS } from './ops-closure';
import { CV_MUTATIONS } from './ops-cv';
import { EARLY_DATA_MUTATIONS } from './ops-early';
import { ENGINE_FAULT_MUTATIONS } from './ops-faults';
import { KEX_MUTATIONS } from './ops-kex';
import { KEY_MUTATIONS } from './ops-keys';
import { KEYUPDATE_MUTATIONS } from './ops-keyupdate';
import { MLKEM_MUTATIONS } from './ops-mlkem';
import { HELLO_MUTATIONS } from './ops-hello';
import { OFF_CURVE_MUTATIONS } from './ops-live';
import { PHA_MUTATIONS } from './ops-pha';
import { RECORD_CONTENT_MUTATIONS } from './ops-record-content';
import { RECORD_MUTATIONS } from './ops-records';
import { PSK_MUTATIONS } from './ops-psk';
import { RECORD_LIMIT_MUTATIONS } from './ops-record-limit';
import { RENEGOTIATION_MUTATIONS, RENEGOTIATION_OFFER_MUTATIONS } from './ops-renegotiation';
import { RESUMPTION_MUTATIONS } from './ops-resumption';
import { STATE_MUTATIONS } from './ops-state';
import { TICKET_MUTATIONS } from './ops-tickets';
import { WIRE_MUTATIONS } from './ops-wire';
import { CORE_MUTATIONS } from './operators';

export const MUTATIONS: readonly Mutation[] = checkedCatalogue([
  // handshake core: order, signatures, key exchange, Finished, negotiation, HelloRetryRequest (operators.ts)
  ...CORE_MUTATIONS,
  // certificate chains with a pki/faults fault, presented by the server (ops-certs.ts)
  ...CHAIN_MUTATIONS,
  // record layer, order, negotiation and extensions (ops-wire.ts)
  ...WIRE_MUTATIONS,
  // crypto, certificates and resumption (ops-keys.ts)
  ...KEY_MUTATIONS,
  // points off the curve with a valid X, from either side (ops-live.ts)
  ...OFF_CURVE_MUTATIONS,
  // the ClientHello family: shapes and malformations of what our client sends first (ops-hello.ts)
  ...HELLO_MUTATIONS,
  // the record layer and ChangeCipherSpec family: framing, sizes, content types, versions, CCS placement (ops-records.ts)
  ...RECORD_MUTATIONS,
  // what a protected record carries: CBC padding and MAC, random plaintext under valid protection, short AEAD records (ops-record-content.ts)
  ...RECORD_CONTENT_MUTATIONS,
  // the CertificateVerify family: schemes not requested or not allowed, malformed and misdirected signatures (ops-cv.ts)
  ...CV_MUTATIONS,
  // the key exchange family: DHE values out of range, FFDHE and X25519 shares (ops-kex.ts)
  ...KEX_MUTATIONS,
  // ML-KEM key shares: lengths, the encapsulation key check, the ECDH half, the server's ciphertext (ops-mlkem.ts)
  ...MLKEM_MUTATIONS,
  // the closure family: alerts in the middle of the handshake, truncation (ops-closure.ts)
  ...CLOSURE_MUTATIONS,
  // the client-target family: versions a client did not offer, our server's transport closed early (ops-client-target.ts)
  ...CLIENT_TARGET_MUTATIONS,
  // TLS 1.2 renegotiation: a renegotiation_info check or the version broken by one side (ops-renegotiation.ts)
  ...RENEGOTIATION_MUTATIONS,
  ...RENEGOTIATION_OFFER_MUTATIONS,
  // TLS 1.2 PSK key exchanges: what RFC 4279 says their messages carry (ops-psk.ts)
  ...PSK_MUTATIONS,
  // TLS 1.3 post-handshake client authentication: the client's answer broken (ops-pha.ts)
  ...PHA_MUTATIONS,
  // record_size_limit (RFC 8449): its value and its company (ops-record-limit.ts)
  ...RECORD_LIMIT_MUTATIONS,
  // TLS 1.3 0-RTT: the limit, the early_data extension and EndOfEarlyData broken by one side (ops-early.ts)
  ...EARLY_DATA_MUTATIONS,
  // resumption: the resuming ClientHello of a session the target gave, broken by our client (ops-resumption.ts)
  ...RESUMPTION_MUTATIONS,
  // certificate compression (RFC 8879): what a CompressedCertificate carries (ops-cert-compression.ts)
  ...CERT_COMPRESSION_MUTATIONS,
  // TLS 1.3 KeyUpdate after the handshake, live against servers (ops-keyupdate.ts)
  ...KEYUPDATE_MUTATIONS,
  // state-machine step lists of our client's flight (ops-state.ts)
  ...STATE_MUTATIONS,
  // client certificates with a fault, presented by our client (ops-certs.ts)
  ...CLIENT_CERTIFICATE_MUTATIONS,
  // deliberate faults of the engine (ops-faults.ts)
  ...ENGINE_FAULT_MUTATIONS,
  // the NewSessionTicket family: edge values of the tickets our server sends to clients (ops-tickets.ts)
  ...TICKET_MUTATIONS,
]);

/** The mutations run in memory (the mutant spec, `tlsprop run`), in catalogue order. */
export const OFFLINE_MUTATIONS: readonly Mutation[] = MUTATIONS.filter(isOffline);

/** The engine faults, in catalogue order. */
export const ENGINE_FAULTS: readonly EngineFault[] = MUTATIONS.filter((m): m is EngineFault => m.where === 'engine-fault');
