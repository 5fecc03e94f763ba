// The thread parseLogFilesInWorker starts (a bundle entry of its own,
// dist/parse-log-worker.js): parses the files it is given and posts the report back.
import { parentPort, workerData } from "node:worker_threads";
import { parseLogFiles, type ParseLogOptions } from "./parse-log-command.js";

if (parentPort !== null) parentPort.postMessage(await parseLogFiles(workerData as ParseLogOptions));
