// README's table of router settings, rendered from worker/config-vars.ts. `npm run docs:config` rewrites
// it in place; test/integration/config-docs.test.ts fails when README and the table disagree.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONFIG_VARS, isChoice, type SettingSpec } from "../worker/config-vars";

export const START = "<!-- config-table: generated from worker/config-vars.ts by `npm run docs:config` -->";
export const END = "<!-- /config-table -->";

const range = (spec: SettingSpec) =>
  isChoice(spec) ? spec.choices.map((c) => `\`${c}\``).join(", ") : `${spec.min}–${spec.max} ${spec.unit}`;

const row = (name: string, spec: SettingSpec) =>
  `| \`${name}\` | ${spec.default ?? "derived"} | ${range(spec)} | ${spec.meaning} |`;

/** The markdown table, markers included. */
export function configTable(): string {
  const rows = Object.entries(CONFIG_VARS).map(([name, spec]) => row(name, spec));
  return [START, "| Var | Default | Range | Meaning |", "| --- | --- | --- | --- |", ...rows, END].join("\n");
}

/** A table without its column padding (the formatter pads README's tables). */
export const unpadded = (table: string) => table.replace(/ *\| */g, "|").replace(/-{3,}/g, "---");

/** The table as README.md holds it, or null without markers. */
export function readmeTable(readme: string): string | null {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  return start < 0 || end < start ? null : readme.slice(start, end + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL("../README.md", import.meta.url));
  const readme = readFileSync(path, "utf8");
  const held = readmeTable(readme);
  if (held === null) throw new Error(`README.md has no ${START} … ${END} block`);
  writeFileSync(path, readme.replace(held, configTable()));
}
