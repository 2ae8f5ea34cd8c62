// Starts fauxqs (an SNS + SQS server) bound to loopback only. fauxqs listens on 0.0.0.0 by code, so
// net.Server.listen is patched to 127.0.0.1 before fauxqs loads; the Java side checks the bound
// address. Arguments: the path of fauxqs's dist/app.js, then a data directory or "-" (in memory).
// It stops on SIGTERM, SIGINT or the end of its standard input.
import net from "node:net";
import { pathToFileURL } from "node:url";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args.length > 0 && typeof args[0] === "object" && args[0] !== null) {
    args[0] = { ...args[0], host: "127.0.0.1" };
  } else if (typeof args[0] === "number" || typeof args[0] === "string") {
    if (typeof args[1] === "string") {
      args[1] = "127.0.0.1";
    } else {
      args.splice(1, 0, "127.0.0.1");
    }
  }
  return listen.apply(this, args);
};

const [appPath, dataDir] = process.argv.slice(2);
const { startFauxqs } = await import(pathToFileURL(appPath).href);
const server = await startFauxqs({
  port: Number(process.env.FAUXQS_PORT ?? "0"),
  host: "127.0.0.1",
  logger: false,
  ...(dataDir && dataDir !== "-" ? { dataDir } : {}),
});
console.log(`FAUXQS_LISTENING ${server.port} ${server.address}`);
const stop = () => server.stop().then(() => process.exit(0), () => process.exit(1));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// The Java side holds our standard input open; it ends when that JVM exits, even killed without
// running its shutdown hooks, and then nothing would stop this server: stop on end of input too.
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
