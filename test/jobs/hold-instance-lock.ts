// Run as its own process by instance-lock.test.ts: takes the bot's instance lock on argv[2], says so, and holds it until killed.
import { acquireInstanceLock } from '../../src/jobs/instance-lock.js';

acquireInstanceLock(process.argv[2] as string);
process.stdout.write('locked\n');
setInterval(() => undefined, 60_000);
