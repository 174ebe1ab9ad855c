// Runs ChdbHttpServer as a process of its own, standing in for a ClickHouse server in
// multi-process tests: `node --import tsx src/testing/chdbHttpServerMain.ts`, configured by
// CHDB_HTTP_DIR (required), CHDB_HTTP_PORT (0 = free port), CHDB_HTTP_USER, CHDB_HTTP_PASSWORD.
// Prints one JSON line {"msg":"chdb http ready","url":...,"port":...} when listening; SIGTERM
// closes the session cleanly (SIGKILL is a crash, as for a real server).
import { ChdbHttpServer } from './chdbHttpServer.js';

const dir = process.env.CHDB_HTTP_DIR;
if (!dir) {
  console.error('CHDB_HTTP_DIR is required');
  process.exit(2);
}
const server = new ChdbHttpServer({
  dir,
  port: Number(process.env.CHDB_HTTP_PORT ?? 0),
  user: process.env.CHDB_HTTP_USER,
  password: process.env.CHDB_HTTP_PASSWORD,
});
await server.start();
console.log(JSON.stringify({ msg: 'chdb http ready', url: server.url, port: Number(new URL(server.url).port) }));
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
