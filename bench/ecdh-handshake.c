/*
 * The baseline for a TLS handshake's (EC)DH derivation: OpenSSL doing per call what libssl does per handshake
 * (ssl/s3_lib.c ssl_derive, after the key share is decoded): the peer's encoded public value made into a key
 * (EVP_PKEY_set1_encoded_public_key on a key with our group's parameters; X25519: EVP_PKEY_new_raw_public_key), a
 * fresh derive context, EVP_PKEY_derive_set_peer (which validates the peer key) and EVP_PKEY_derive.
 * `openssl speed ecdhp256` times EVP_PKEY_derive alone, with the peer set (and validated) once; mode "same" does
 * that here too, to check this program against openssl speed.
 *
 * Usage: ecdh-handshake P-256|X25519 fresh|same SECONDS. Prints derivations per CPU-second of user time (as
 * openssl speed divides). Built by bench/crypto.ts with `cc ... -lcrypto` when a compiler and the headers exist.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double user_seconds(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6;
}

enum { PEERS = 256 };

int main(int argc, char **argv) {
  if (argc != 4) return 64;
  int x25519 = strcmp(argv[1], "X25519") == 0;
  int fresh = strcmp(argv[2], "fresh") == 0;
  double seconds = atof(argv[3]);
  EVP_PKEY *me = x25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519") : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  if (me == NULL) return 2;
  unsigned char *points[PEERS];
  size_t lengths[PEERS];
  for (int i = 0; i < PEERS; i++) {
    EVP_PKEY *k = x25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519") : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (k == NULL) return 2;
    lengths[i] = EVP_PKEY_get1_encoded_public_key(k, &points[i]);
    EVP_PKEY_free(k);
  }
  unsigned char out[32];
  size_t outlen;
  long n = 0;
  EVP_PKEY_CTX *once = NULL;
  if (!fresh) {
    EVP_PKEY *peer = x25519 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, points[0], lengths[0]) : EVP_PKEY_new();
    if (peer == NULL) return 3;
    if (!x25519 && (!EVP_PKEY_copy_parameters(peer, me) || !EVP_PKEY_set1_encoded_public_key(peer, points[0], lengths[0])))
      return 3;
    once = EVP_PKEY_CTX_new(me, NULL);
    if (once == NULL || EVP_PKEY_derive_init(once) <= 0 || EVP_PKEY_derive_set_peer(once, peer) <= 0) return 4;
  }
  double start = user_seconds();
  double used = 0;
  while (used < seconds) {
    for (int j = 0; j < 64; j++, n++) {
      outlen = sizeof out;
      if (!fresh) {
        if (EVP_PKEY_derive(once, out, &outlen) <= 0) return 5;
        continue;
      }
      const unsigned char *pt = points[n % PEERS];
      size_t len = lengths[n % PEERS];
      EVP_PKEY *peer = x25519 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pt, len) : EVP_PKEY_new();
      if (peer == NULL) return 3;
      if (!x25519 && (!EVP_PKEY_copy_parameters(peer, me) || !EVP_PKEY_set1_encoded_public_key(peer, pt, len))) return 3;
      EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(me, NULL);
      if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0) return 4;
      if (EVP_PKEY_derive(ctx, out, &outlen) <= 0) return 5;
      EVP_PKEY_CTX_free(ctx);
      EVP_PKEY_free(peer);
    }
    used = user_seconds() - start;
  }
  printf("%.1f\n", n / used);
  return 0;
}
