/**
 * What a receiver must do with input that no transcript of a well-behaved
 * pair shows: accept unusual but valid input (a ClientHello version above
 * its own, a record version it does not use, a second dummy
 * ChangeCipherSpec, zero-length application data, a warning alert), answer
 * a ClientHello that leaves nothing to negotiate, retry for a missing key
 * share, and stop after an error alert or a transport close. Each is
 * decided by live conversations (evidence `live`, oracles/live.ts): the
 * conversation families of fuzz/ send the input, the declaration says what
 * a conforming peer does. None has a transcript check.
 */
import { NO_OVERLAP_ALERTS_13, because, definition } from '../alert-choices';
import { declarer } from '../rule';

const rule = declarer({ versions: ['1.2', '1.3'], role: 'both', strength: 'MUST', evidence: 'live', group: 'negotiation' });

/** Not in the reference checklist: why each is declared (drift test). */
const NEW = (rfc: string, why: string) => ({
  checklist: `receiver duty (${rfc}) exercised by the live conversation families: ${why}`,
});

const NO_CHOICE_12 =
  'The server will select a cipher suite or, if no acceptable choices are presented, return a handshake failure alert and close the connection.';

export const receiverDutyRules = [
  rule({
    id: 't12.neg.no-common-parameters',
    title: 'A TLS 1.2 server that finds no acceptable cipher suite (or signature algorithm) in the ClientHello aborts.',
    rfc: 'RFC 5246 §7.4.1.2',
    versions: ['1.2'],
    role: 'server',
    alerts: [
      because('handshake_failure', 'RFC 5246 §7.4.1.2', NO_CHOICE_12),
      // RFC 5246 §7.2.2: "Returned instead of handshake_failure when a negotiation has failed specifically because the
      // server requires ciphers more secure than those supported by the client."
      definition('insufficient_security', ['1.2']),
    ],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    overrides: NEW('RFC 5246 §7.4.1.2', 'the TLS 1.2 counterpart of t13.neg.no-common-parameters'),
  }),
  rule({
    id: 't12.neg.ske-sigalg-alone',
    title:
      'Offered one signature scheme alone (with DHE suites), a TLS 1.2 server signs its ServerKeyExchange with that scheme or, not accepting it, aborts with handshake_failure.',
    rfc: ['RFC 5246 §7.4.1.4.1', 'RFC 5246 §7.4.3'],
    versions: ['1.2'],
    role: 'server',
    // RFC 5246 §7.4.3: "If the client has offered the "signature_algorithms" extension, the signature algorithm and hash
    // algorithm MUST be a pair listed in that extension." (t12.neg.ske-sigalg judges a ServerKeyExchange that comes;
    // sig.t12.ske-no-md5-sha1 one signed with SHA-1: RFC 9155 §4 "Servers MUST NOT include MD5 and SHA-1 in
    // ServerKeyExchange messages", so a SHA-1 scheme offered alone leaves the server nothing but the abort)
    alerts: [because('handshake_failure', 'RFC 5246 §7.4.1.2', NO_CHOICE_12), definition('insufficient_security', ['1.2'])],
    ignorable: {
      rfc: 'RFC 5246 §7.4.3',
      text: 'If the client has offered the "signature_algorithms" extension, the signature algorithm and hash algorithm MUST be a pair listed in that extension.',
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    overrides: NEW(
      'RFC 5246 §7.4.1.4.1, §7.4.3',
      'signature_algorithms offering one scheme at a time with DHE_RSA suites (test-dhe-rsa-key-exchange-signatures)',
    ),
  }),
  rule({
    id: 't12.neg.renegotiation-anew',
    title:
      'A TLS 1.2 server that renegotiates answers the renegotiating ClientHello itself: a hello that leaves out extensions of the first (supported_groups, ec_point_formats, ALPN, status_request, session_ticket) is a valid hello it negotiates from anew (or declines with no_renegotiation).',
    rfc: ['RFC 5246 §7.4.1.2', 'RFC 5246 §7.4.1.4'],
    versions: ['1.2'],
    role: 'server',
    // RFC 5246 §7.4.1.2: "a client can send a ClientHello in response to a HelloRequest or on its own initiative in order
    // to renegotiate the security parameters in an existing connection"; every extension left out is optional, and
    // §7.4.1.4: "An extension type MUST NOT appear in the ServerHello unless the same extension type appeared in the
    // corresponding ClientHello" (ext.only-if-offered judges the renegotiating ServerHello against the new hello, so an
    // answer built from the first hello is flagged there). A server that does not renegotiate declines with the warning
    // no_renegotiation (RFC 5246 §7.2.2; RENEGOTIATION_DECLINE).
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'RFC 5246 §7.4.1.2',
      'a renegotiating ClientHello that drops extensions of the first (test-renegotiation-changed-clienthello, test-ocsp-stapling)',
    ),
  }),
  rule({
    id: 't12.neg.renegotiation-changed-offer',
    title:
      'A TLS 1.2 server that renegotiates chooses from the renegotiating ClientHello: given other groups or other (or no) signature_algorithms than the first hello, its ServerKeyExchange uses a group and a scheme the new hello allows, or it aborts with handshake_failure.',
    rfc: ['RFC 5246 §7.4.1.2', 'RFC 5246 §7.4.1.4.1', 'RFC 5246 §7.4.3', 'RFC 8422 §5.1'],
    versions: ['1.2'],
    role: 'server',
    // RFC 5246 §7.4.3: "If the client has offered the "signature_algorithms" extension, the signature algorithm and hash
    // algorithm MUST be a pair listed in that extension." §7.4.1.4.1: "If the client does not send the
    // signature_algorithms extension, the server MUST do the following: [...] behave as if client had sent value
    // {sha1,rsa}" (and RFC 9155 §4 forbids SHA-1 in a ServerKeyExchange: sig.t12.ske-no-md5-sha1). RFC 8422 §5.1: servers
    // "MUST NOT negotiate the use of an ECC cipher suite unless they can complete the handshake while respecting the
    // choice of curves specified by the client". The group and scheme a server goes on with are judged by
    // ext.ecc.curve-offered and t12.neg.ske-sigalg against the renegotiating ClientHello; one left without a choice
    // aborts.
    alerts: [because('handshake_failure', 'RFC 5246 §7.4.1.2', NO_CHOICE_12), definition('insufficient_security', ['1.2'])],
    ignorable: {
      rfc: 'RFC 5246 §7.4.1.2',
      text: 'a client can send a ClientHello in response to a HelloRequest or on its own initiative in order to renegotiate the security parameters in an existing connection.',
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    overrides: NEW(
      'RFC 5246 §7.4.1.4.1, §7.4.3, RFC 8422 §5.1',
      'a renegotiating ClientHello with other groups or signature_algorithms, or none (test-sig-algs-renegotiation-resumption, test-renegotiation-changed-clienthello)',
    ),
  }),
  rule({
    id: 't13.neg.ecdsa-scheme-alone',
    title:
      "Offered one TLS 1.3 ECDSA scheme alone in signature_algorithms, a server signs its CertificateVerify with it using a key on that scheme's curve, or, having no such key, aborts with handshake_failure or insufficient_security.",
    rfc: ['RFC 8446 §4.2.3', 'RFC 8446 §4.4.2.2', 'RFC 8446 §4.1.1'],
    versions: ['1.3'],
    role: 'server',
    // RFC 8446 §4.2.3 binds each TLS 1.3 ECDSA scheme to its curve ("ecdsa_secp256r1_sha256 [...] the corresponding
    // curve"); §4.4.2.2: "The server's end-entity certificate's public key (and associated restrictions) MUST be
    // compatible with the selected authentication algorithm from the client's "signature_algorithms" extension"; §4.4.3:
    // the CertificateVerify scheme "MUST be one offered in the client's "signature_algorithms" extension". A server
    // without a key on that curve has no overlap left: §4.1.1. What a completing server signs is judged on the
    // transcript (t13.neg.cv-sigalg: the scheme offered and fitting the leaf key).
    alerts: [...NO_OVERLAP_ALERTS_13],
    ignorable: {
      rfc: 'RFC 8446 §4.4.2.2',
      text: "The server's end-entity certificate's public key (and associated restrictions) MUST be compatible with the selected authentication algorithm from the client's \"signature_algorithms\" extension (currently RSA, ECDSA, or EdDSA). [A server with a key on the scheme's curve completes with it.]",
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    overrides: NEW(
      'RFC 8446 §4.2.3, §4.4.2.2, §4.1.1',
      'signature_algorithms offering one TLS 1.3 ECDSA scheme at a time, signature_algorithms_cert every scheme (test-tls13-ecdsa-support)',
    ),
  }),
  rule({
    id: 't12.neg.mlkem-groups-listed',
    title:
      'A TLS 1.2 server given a ClientHello (TLS 1.2 only) that lists ML-KEM groups next to elliptic curves completes the handshake over an elliptic curve (or a suite without ECDHE).',
    rfc: ['draft-ietf-tls-ecdhe-mlkem §1.1', 'draft-ietf-tls-mlkem §1', 'RFC 8422 §5.1'],
    versions: ['1.2'],
    role: 'server',
    // the ML-KEM groups are TLS 1.3 only (t12.neg.no-mlkem-group judges a ServerKeyExchange naming one); RFC 8422 §5.1:
    // "servers MUST NOT negotiate the use of an ECC cipher suite unless they can complete the handshake while respecting
    // the choice of curves specified by the client" — the curves listed next to them leave a choice; a server that
    // does not know the codepoints ignores them (RFC 8446 §9.3: "A server receiving a ClientHello MUST correctly ignore
    // all unrecognized cipher suites, extensions, and other parameters.")
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'draft-ietf-tls-ecdhe-mlkem §1.1, RFC 8422 §5.1',
      'a TLS 1.2-only ClientHello listing ML-KEM groups next to the classical curves (test-no-mlkem-in-old-tls)',
    ),
  }),
  rule({
    id: 'ver.t12.older-hello-rejected',
    title:
      'A server given a ClientHello of an older version (legacy_version 0x0302, no supported_versions) offering only suites defined for TLS 1.2 negotiates neither TLS 1.2 nor one of those suites: it aborts.',
    rfc: ['RFC 8446 App. D.2', 'RFC 5246 §7.4.1.3', 'RFC 5288 §4'],
    versions: ['1.2'],
    role: 'server',
    // RFC 5246 §7.4.1.3 server_version: "This field will contain the lower of that suggested by the client in the client
    // hello and the highest supported by the server." RFC 8446 App. D.2: "If the "supported_versions" extension is not
    // present, the server MUST negotiate the minimum of ClientHello.legacy_version and TLS 1.2." RFC 5288 §4 (and RFC
    // 5289 §4 for the SHA-256/384 suites): "They MUST NOT be negotiated in older versions of TLS. [...] Servers which
    // select an earlier version of TLS MUST NOT select one of these cipher suites." The AES-CCM suites (RFC 6655, RFC
    // 7251) carry no such sentence, but they are AEAD suites, and the AEAD record (RFC 5246 §6.2.3.3
    // GenericAEADCipher) exists from TLS 1.2 on: a TLS 1.1 record layer has no way to run one (RFC 6655 §1: "This
    // document utilizes the AEAD facility within TLS 1.2").
    alerts: [
      because(
        'protocol_version',
        'RFC 8446 App. D.2',
        'If the "supported_versions" extension is absent and the server only supports versions greater than ClientHello.legacy_version, the server MUST abort the handshake with a "protocol_version" alert.',
      ),
      // a server that also speaks TLS 1.1 finds no suite it may select in that version
      because('handshake_failure', 'RFC 5246 §7.4.1.2', NO_CHOICE_12),
    ],
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    overrides: NEW(
      'RFC 8446 App. D.2, RFC 5288 §4',
      'a TLS 1.1 ClientHello offering only TLS 1.2 suites (test-TLSv1_2-rejected-without-TLSv1_2)',
    ),
  }),
  rule({
    id: 't12.neg.extensionless-hello',
    title:
      'A TLS 1.2 server accepts a ClientHello without extensions (or with an empty block): it negotiates with the defaults, or aborts with handshake_failure when they leave nothing acceptable.',
    rfc: ['RFC 5246 §7.4.1.2', 'RFC 5246 §7.4.1.4.1'],
    versions: ['1.2'],
    role: 'server',
    alerts: [because('handshake_failure', 'RFC 5246 §7.4.1.2', NO_CHOICE_12), definition('insufficient_security', ['1.2'])],
    ignorable: {
      rfc: 'RFC 5246 §7.4.1.2',
      text: 'A server MUST accept ClientHello messages both with and without the extensions field, and (as for all other messages) it MUST check that the amount of data in the message precisely matches one of these formats; if not, then it MUST send a fatal "decode_error" alert.',
      receiver: 'server',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    overrides: NEW('RFC 5246 §7.4.1.2', 'a ClientHello without extensions is valid TLS 1.2 (test-empty-extensions)'),
  }),
  rule({
    id: 'ver.no-intolerance',
    title:
      'A server negotiates the highest version it shares with the client, whatever higher or unknown versions the ClientHello names and whatever legacy_version says when supported_versions is present.',
    rfc: ['RFC 5246 App. E.1', 'RFC 8446 §4.2.1'],
    role: 'server',
    group: 'negotiation',
    // RFC 5246 App. E.1: "If a TLS server receives a ClientHello containing a version number greater than the highest
    // version supported by the server, it MUST reply according to the highest version supported by the server."
    // RFC 8446 §4.2.1: "If this extension is present in the ClientHello, servers MUST NOT use the
    // ClientHello.legacy_version value for version negotiation and MUST use only the "supported_versions" extension to
    // determine client preferences. Servers MUST only select a version of TLS present in that extension and MUST
    // ignore any unknown versions that are present in that extension."
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'RFC 5246 App. E.1, RFC 8446 §4.2.1',
      'version intolerance (test-version-numbers, test-tls13-version-negotiation)',
    ),
  }),
  rule({
    id: 't13.neg.hrr-for-missing-share',
    title:
      'A TLS 1.3 server that shares a group with the client but got no usable key share for it answers with HelloRetryRequest.',
    rfc: 'RFC 8446 §4.1.1',
    versions: ['1.3'],
    role: 'server',
    // RFC 8446 §4.1.1: "If the server selects an (EC)DHE group and the client did not offer a compatible "key_share"
    // extension in the initial ClientHello, the server MUST respond with a HelloRetryRequest (Section 4.1.4) message."
    // RFC 8446 §4.2.8: "This vector MAY be empty if the client is requesting a HelloRetryRequest."
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'RFC 8446 §4.1.1',
      'the HelloRetryRequest path forced by the client (test-tls13-hrr, test-tls13-unrecognised-groups)',
    ),
  }),
  rule({
    id: 'rec.t13.ccs-dropped',
    title:
      'A TLS 1.3 receiver drops every unprotected change_cipher_spec of the single byte 0x01 between the first ClientHello and the peer Finished.',
    rfc: 'RFC 8446 §5',
    versions: ['1.3'],
    group: 'record',
    // RFC 8446 §5: "An implementation may receive an unencrypted record of type change_cipher_spec consisting of the
    // single byte value 0x01 at any time after the first ClientHello message has been sent or received and before the
    // peer's Finished message has been received and MUST simply drop it without further processing." "At any time":
    // a second one is dropped too (tlsfuzzer's test-tls13-multiple-ccs-messages expects unexpected_message there; the
    // RFC does not).
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW('RFC 8446 §5', 'the compatibility CCS a TLS 1.3 receiver drops (test-tls13-multiple-ccs-messages)'),
  }),
  rule({
    id: 'rec.t12.appdata-in-renegotiation',
    title:
      "A TLS 1.2 receiver processes application data interleaved with a renegotiation (records between its handshake messages, or between the fragments of one, before the sender's ChangeCipherSpec).",
    rfc: 'RFC 5246 §6.2.1',
    versions: ['1.2'],
    group: 'record',
    // RFC 5246 §6.2.1: "Note: Data of different TLS record layer content types MAY be interleaved. [...] Recipients MUST
    // receive and process interleaved application layer traffic during handshakes subsequent to the first one on a
    // connection." After the sender's ChangeCipherSpec and before its Finished application data is out of order
    // (t12.order.state-machine): the conversations interleave before it.
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'RFC 5246 §6.2.1',
      'application data inside a renegotiation (test-interleaved-application-data-in-renegotiation, test-openssl-3712)',
    ),
  }),
  rule({
    id: 'rec.zero-length-appdata',
    title: 'Receivers accept zero-length application data fragments once application data may flow.',
    rfc: ['RFC 5246 §6.2.1', 'RFC 8446 §5.1'],
    group: 'record',
    // RFC 5246 §6.2.1: "Zero-length fragments of Application data MAY be sent as they are potentially useful as a
    // traffic analysis countermeasure." RFC 8446 §5.1: "Zero-length fragments of Application Data MAY be sent, as they
    // are potentially useful as a traffic analysis countermeasure."
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW('RFC 5246 §6.2.1, RFC 8446 §5.1', 'zero-length application data (test-zero-length-data)'),
  }),
  rule({
    id: 'rec.t12.cbc-padding-any-length',
    title: 'TLS 1.2 receivers accept CBC padding of any valid length up to 255 bytes, not only the shortest.',
    rfc: 'RFC 5246 §6.2.3.2',
    versions: ['1.2'],
    group: 'record',
    // RFC 5246 §6.2.3.2: "The padding MAY be any length up to 255 bytes, as long as it results in the
    // TLSCiphertext.length being an integral multiple of the block length. Lengths longer than necessary might be
    // desirable to frustrate attacks on a protocol that are based on analysis of the lengths of exchanged messages."
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW('RFC 5246 §6.2.3.2', 'CBC padding longer than needed (test-atypical-padding)'),
  }),
  rule({
    id: 'rec.appdata-up-to-limit',
    title:
      'Receivers accept application data records of every length up to the limit (a TLSPlaintext fragment of up to 2^14 bytes; in TLS 1.3 a TLSInnerPlaintext, content type and zero padding included, of up to 2^14 + 1 bytes), deliver them intact and go on with the connection.',
    rfc: ['RFC 5246 §6.2.1', 'RFC 8446 §5.1', 'RFC 8446 §5.4', 'RFC 8446 §6.2'],
    group: 'record',
    // RFC 5246 §6.2.1 and RFC 8446 §5.1 length: "The length (in bytes) of the following TLSPlaintext.fragment. The
    // length MUST NOT exceed 2^14 bytes." RFC 8446 §5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1
    // octets", and "upon successful decryption of a TLSCiphertext.encrypted_record, the receiving implementation scans
    // the field from the end toward the beginning until it finds a non-zero octet". RFC 8446 §6.2 record_overflow is
    // for "a TLSPlaintext record with more than 2^14 bytes (or some other negotiated limit)": a record within the limit
    // breaks nothing, so no alert rests on it and the connection goes on (tlsfuzzer's test-lengths,
    // test-tls13-lengths, test-cve-2016-7054).
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'RFC 5246 §6.2.1, RFC 8446 §5.1, §5.4, §6.2',
      'application data records of boundary lengths and TLS 1.3 padding up to the limit (the lengths family: test-lengths, test-tls13-lengths, test-cve-2016-7054)',
    ),
  }),
  rule({
    id: 'rec.version-ignored',
    title:
      'Servers accept any {03,xx} record version on a ClientHello record, and TLS 1.3 receivers ignore legacy_record_version on every record.',
    rfc: ['RFC 5246 App. E.1', 'RFC 8446 §5.1'],
    group: 'record',
    // RFC 5246 App. E.1: "Thus, TLS servers compliant with this specification MUST accept any value {03,XX} as the
    // record layer version number for ClientHello." RFC 8446 §5.1 legacy_record_version: "This field is deprecated
    // and MUST be ignored for all purposes."
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW('RFC 5246 App. E.1, RFC 8446 §5.1', 'record-layer version tolerance (test-version-numbers)'),
  }),
  rule({
    id: 'alert.t12.warning-continues',
    title: 'A TLS 1.2 warning alert (not close_notify) does not end the handshake or the connection.',
    rfc: 'RFC 5246 §7.2',
    versions: ['1.2'],
    strength: 'SHOULD',
    group: 'record',
    // RFC 5246 §7.2: "If an alert with a level of warning is sent and received, generally the connection can continue
    // normally." An unknown description at warning level is still a warning (no sentence makes it fatal in TLS 1.2).
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW('RFC 5246 §7.2', 'warning alerts during a TLS 1.2 handshake (test-ssl-death-alert, issue #20 R7)'),
  }),
  rule({
    id: 'alert.t12.warning-run',
    title:
      'A TLS 1.2 receiver given a run of warning alerts goes on, or ends the connection with a fatal alert of its choice; it neither hangs nor crashes.',
    rfc: 'RFC 5246 §7.2.2',
    versions: ['1.2'],
    strength: 'SHOULD',
    group: 'record',
    // RFC 5246 §7.2.2: "If the receiving party decides not to proceed with the connection (e.g., after having received a
    // no_renegotiation alert that it is not willing to accept), it SHOULD send a fatal alert to terminate the
    // connection." It names no alert: any one is conforming (a limit on warnings, the CVE-2016-8610 mitigation, answers
    // with unexpected_message). No RFC sentence sets a number of warnings, so going on is conforming too.
    ignorable: {
      rfc: 'RFC 5246 §7.2.2',
      text: 'If an alert with a level of warning is sent and received, generally the connection can continue normally.',
    },
    live: { scope: { kind: 'declared' }, expects: 'either', judges: 'outcome' },
    overrides: NEW('RFC 5246 §7.2.2', 'a run of warning alerts during a TLS 1.2 handshake (test-ssl-death-alert, CVE-2016-8610)'),
  }),
  rule({
    id: 't13.ku.update-accepted',
    title:
      'A TLS 1.3 endpoint takes a valid KeyUpdate after the handshake (update_not_requested or update_requested, any number in a row, split over records), moves its receiving keys on and goes on with the connection.',
    rfc: 'RFC 8446 §4.6.3',
    versions: ['1.3'],
    group: 'record',
    // RFC 8446 §4.6.3: "The KeyUpdate handshake message is used to indicate that the sender is updating its sending
    // cryptographic keys. This message can be sent by either peer after it has sent a Finished message." and "Upon
    // receiving a KeyUpdate, the receiver MUST update its receiving keys." Nothing limits their number; whether an
    // update_requested one is answered first is t13.neg.keyupdate-values (judged over the transcript).
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW('RFC 8446 §4.6.3', 'valid KeyUpdates after the handshake (test-tls13-keyupdate, the keyupdate family)'),
  }),
  rule({
    id: 'alert.error-received-closes',
    title:
      'A peer that receives a fatal alert (in TLS 1.3 any error alert: every alert but close_notify and user_canceled, an unknown one too, whatever its level) closes the connection and goes no further.',
    rfc: ['RFC 5246 §7.2.2', 'RFC 8446 §6'],
    group: 'record',
    // RFC 5246 §7.2.2: "Upon transmission or receipt of a fatal alert message, both parties immediately close the
    // connection." RFC 8446 §6: "All the alerts listed in Section 6.2 MUST be sent with AlertLevel=fatal and MUST be
    // treated as error alerts when received regardless of the AlertLevel in the message. Unknown Alert types MUST be
    // treated as error alerts." and "Upon receiving an error alert, the TLS implementation SHOULD indicate an error to
    // the application and MUST NOT allow any further data to be sent or received on the connection." No alert is
    // sent back: closing is the whole reaction.
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    overrides: NEW('RFC 5246 §7.2.2, RFC 8446 §6', 'error alerts and unknown alert descriptions received'),
  }),
  rule({
    id: 'ticket.client-accepts-valid',
    title:
      'A client takes a well-formed NewSessionTicket whatever its lifetime (zero included), its ticket_nonce length (0 to 255 bytes) and, in TLS 1.2, an empty ticket, and goes on with the connection.',
    rfc: ['RFC 8446 §4.6.1', 'RFC 5077 §3.3'],
    role: 'client',
    group: 'negotiation',
    // RFC 8446 §4.6.1: "ticket_lifetime: [...] The value of zero indicates that the ticket should be discarded
    // immediately." (discarded, not refused: the connection goes on; that the ticket is never offered takes a second
    // connection, which one conversation does not show) and "opaque ticket_nonce<0..255>" (both ends of the range are
    // valid). RFC 5077 §3.3: "If the server determines that it does not want to include a ticket after it has included
    // the SessionTicket extension in the ServerHello, then it sends a zero-length ticket in the NewSessionTicket
    // handshake message." and "A ticket_lifetime_hint of zero indicates that the lifetime of the ticket is unspecified."
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'RFC 8446 §4.6.1, RFC 5077 §3.3',
      'NewSessionTicket edge values our server sends to clients (issue #14 client targets)',
    ),
  }),
  rule({
    id: 'resume.server-falls-back',
    title:
      'A server that does not resume the session a ClientHello offers (a ticket or session ID it does not know, a session of another server_name) goes on with a full handshake.',
    rfc: ['RFC 5077 §3.4', 'RFC 6066 §3', 'RFC 8446 §4.2.11'],
    role: 'server',
    group: 'negotiation',
    // RFC 5077 §3.4: "If the server cannot or does not want to honor the ticket, then it can initiate a full handshake
    // with the client." RFC 6066 §3: "A server that implements this extension MUST NOT accept the request to resume
    // the session if the server_name extension contains a different name. Instead, it proceeds with a full handshake
    // to establish a new session." RFC 5246 §7.4.1.3: without a match the session_id "will contain a different value
    // identifying the new session". RFC 8446 §4.2.11: "The server MUST ensure that it selects a compatible PSK (if
    // any) and cipher suite": a PSK it cannot open is none it can select, and the handshake goes on without one. The
    // input is valid: refusing it is the violation; whether the server resumed anyway is the transcript rules' check
    // (ext.sni.resumption, t12.neg.resume-consistency) over both connections.
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'RFC 5077 §3.4, RFC 6066 §3, RFC 8446 §4.2.11',
      'a resumption the server cannot or must not honour (tlsfuzzer test-session-ticket-resumption, test-invalid-server-name-extension-resumption)',
    ),
  }),
  rule({
    id: 'resume.t12.ticket-empty-session-id',
    title:
      'A TLS 1.2 server given a ticket with an empty session ID resumes it (its NewSessionTicket or ChangeCipherSpec follows the ServerHello) or goes on with a full handshake.',
    rfc: ['RFC 5077 §3.4'],
    versions: ['1.2'],
    role: 'server',
    group: 'negotiation',
    // RFC 5077 §3.4: "When presenting a ticket, the client MAY generate and include a Session ID in the TLS
    // ClientHello. If the server accepts the ticket and the Session ID is not empty, then it MUST respond with the same
    // Session ID present in the ClientHello." An empty one is as valid: there is no echo, and a resumption shows in
    // what follows the ServerHello (t12.neg.resume-detection allows it beside a ticket); "If the server cannot or does
    // not want to honor the ticket, then it can initiate a full handshake with the client."
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW('RFC 5077 §3.4', 'a ticket offered with an empty session ID (test-session-ticket-resumption)'),
  }),
  rule({
    id: 'resume.t12.in-renegotiation',
    title:
      "A TLS 1.2 server given a renegotiating ClientHello that offers the connection's own session resumes it (an abbreviated handshake) or goes on with a full handshake.",
    rfc: ['RFC 5246 §7.4.1.2'],
    versions: ['1.2'],
    role: 'server',
    group: 'negotiation',
    // RFC 5246 §7.4.1.2 session_id: "The value of a session ID from an earlier connection, this connection, or from
    // another currently active connection" (a renegotiation may resume this connection's own session); §7.4.1.3: "If
    // a matching session ID is found and the server is willing to establish the new connection using the specified
    // session state, the server will respond with the same value as was supplied by the client. [...] Otherwise, this
    // field will contain a different value identifying the new session." Either way the renegotiation completes.
    live: { scope: { kind: 'declared' }, expects: 'complete', judges: 'outcome' },
    overrides: NEW(
      'RFC 5246 §7.4.1.2',
      "a renegotiation that offers the connection's session (test-sig-algs-renegotiation-resumption, test-session-ticket-resumption)",
    ),
  }),
  rule({
    id: 'conn.transport-close',
    title:
      'A connection whose transport closes before close_notify (mid-handshake or mid-stream) is over: the receiver does not treat the handshake or the data as complete, and keeps serving other connections.',
    rfc: ['RFC 5246 §7.2.1', 'RFC 8446 §6.1'],
    group: 'record',
    // RFC 8446 §6.1: "If a transport-level close is received prior to a "close_notify", the receiver cannot know that
    // all the data that was sent has been received." RFC 5246 §7.2.1: "Unless some other fatal alert has been
    // transmitted, each party is required to send a close_notify alert before closing the write side of the
    // connection." Neither names an alert for the receiver (there is no one left to send it to): it closes.
    live: { scope: { kind: 'declared' }, expects: 'reject', judges: 'outcome' },
    overrides: NEW('RFC 5246 §7.2.1, RFC 8446 §6.1', 'truncation at every point of the handshake (test-connection-abort)'),
  }),
];
