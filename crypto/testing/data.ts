/** Loaders for the vendored vectors and captures (fixtures/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED = join(__dirname, '..', '..', 'fixtures');

export interface VectorMessage {
  dir: 'C->S' | 'S->C';
  message: string;
  hex: string;
}

export interface VectorsFile {
  cipher_suite: string;
  client_random: string;
  server_random: string;
  client_ephemeral_x25519_private: string;
  client_ephemeral_x25519_public: string;
  server_ephemeral_x25519_private: string;
  server_ephemeral_x25519_public: string;
  handshake_messages: VectorMessage[];
  secrets_computed: Record<string, string>;
  records?: Record<string, string>;
  application_data_plaintext?: Record<string, string>;
}

export function loadVectors(name: 'rfc8448-section3' | 'illustrated-tls13' | 'illustrated-tls12'): VectorsFile {
  return JSON.parse(readFileSync(join(SHARED, 'vectors', name, 'vectors.json'), 'utf8')) as VectorsFile;
}

export interface CaptureMessage {
  dir: 'C->S' | 'S->C';
  message: string;
  record_type: string;
  encrypted?: boolean;
  handshake_type?: number;
  hex?: string;
  cipher_suite?: string;
  selected_version?: string;
}

export interface CaptureConnection {
  messages: CaptureMessage[];
}

export interface Capture {
  name: string;
  connections: CaptureConnection[];
  keylog: string;
}

export const CAPTURE_DIRS: readonly string[] = [
  'captures/gnutls-server-openssl-client-t12-mutual',
  'captures/mosquitto-t12-ecdhe-rsa-aes256-sha384-mutual',
  'captures/openssl-t12-ecdhe-rsa-aes256-sha384-mutual',
  'captures/openssl-t13-mutual',
  'vectors/illustrated-tls12',
  'vectors/illustrated-tls13',
];

export function loadCapture(dir: string): Capture {
  const expected = JSON.parse(readFileSync(join(SHARED, dir, 'expected.json'), 'utf8')) as { connections: CaptureConnection[] };
  return { name: dir, connections: expected.connections, keylog: readFileSync(join(SHARED, dir, 'keylog.txt'), 'utf8') };
}
