import type { Command } from '../command.js';
import { demo } from './demo.js';
import { doctor } from './doctor.js';
import { record } from './record.js';
import { replay } from './replay.js';

/** Every `berth` command, in the order `berth --help` lists them. */
export const COMMANDS: readonly Command[] = [demo, doctor, replay, record];
