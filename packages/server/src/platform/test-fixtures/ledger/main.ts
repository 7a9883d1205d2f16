import { createApp } from "../../../app.js";
import { loadConfig } from "../../../config.js";
import { builtInModules } from "../../../modules/index.js";
import { ledgerModule } from "./index.js";

/**
 * A server process with the ledger test module besides the built-in ones, for tests that kill
 * processes (startServerProcess(env, timeout, LEDGER_MAIN)). Configured from its environment.
 */
const modules = [...builtInModules(), ledgerModule];
const config = loadConfig(process.env, modules);
const app = await createApp(config, { modules });
const { url } = await app.listen();
app.logger.info({ url }, "switchboard listening");
const stop = () => void app.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
