// Copy the map libraries from node_modules/ to static/vendor/, served by Streamlit at /app/static/vendor/.
// Run by `npm ci` (postinstall). Only the dist folders (JS, CSS, images) are copied.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "static", "vendor");
const packages = { leaflet: "dist", "leaflet-draw": "dist" };

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const versions = {};
for (const [name, folder] of Object.entries(packages)) {
  const source = join(root, "node_modules", name, folder);
  if (!existsSync(source)) {
    console.error(`vendor: ${source} absent (npm ci a-t-il échoué ?)`);
    process.exit(1);
  }
  cpSync(source, join(target, name), { recursive: true });
  versions[name] = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
}
writeFileSync(join(target, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`vendor: ${Object.entries(versions).map(([n, v]) => `${n} ${v}`).join(", ")} -> static/vendor/`);
