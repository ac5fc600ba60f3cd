/** The learned machines of the faulty targets the live-testing issue added, TLS 1.3 (spec/learn-faulty.ts). */
import { faultySpecs } from './learn-faulty';

faultySpecs('1.3', 'live');
