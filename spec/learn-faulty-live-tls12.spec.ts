/** The learned machines of the faulty targets the live-testing issue added, TLS 1.2 (spec/learn-faulty.ts). */
import { faultySpecs } from './learn-faulty';

faultySpecs('1.2', 'live');
