// `npm run admin -- create-org --slug acme [--name "Acme"] [--platform]`: see cli/admin-cli.ts.
import { adminCli } from "./admin-cli";

process.exitCode = await adminCli(process.argv.slice(2), process.env);
