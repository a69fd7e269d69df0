// The settings are declared once (worker/config-vars.ts); README, ARCHITECTURE.md and wrangler.toml must agree with it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configTable, readmeTable, unpadded } from "../../scripts/config-table";
import { CONFIG_VARS } from "../../worker/config-vars";

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

describe("the settings table", () => {
  it("is README's table, as `npm run docs:config` renders it", () => {
    const held = readmeTable(read("README.md")) ?? "";
    expect(unpadded(held), "README.md is stale: run `npm run docs:config`").toBe(unpadded(configTable()));
  });

  it("gives wrangler.toml's [vars] their defaults and knows every one of them", () => {
    const section =
      read("wrangler.toml")
        .split(/^\[vars\]$/m)[1]
        ?.split(/^\[/m)[0] ?? "";
    const vars = [...section.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map(([, name, value]) => [name, value]);
    expect(vars.length).toBeGreaterThan(0);
    for (const [name, value] of vars) {
      expect(Object.keys(CONFIG_VARS), `${name} in wrangler.toml`).toContain(name);
      expect(value, name).toBe(String(CONFIG_VARS[name as keyof typeof CONFIG_VARS].default));
    }
  });

  it("is where ARCHITECTURE.md sends readers instead of repeating defaults", () => {
    const architecture = read("ARCHITECTURE.md");
    expect(architecture).toContain("worker/config-vars.ts");
    for (const name of Object.keys(CONFIG_VARS))
      expect(architecture, `ARCHITECTURE.md gives ${name} a value`).not.toMatch(new RegExp(`\`${name}\`(, | \\()\\d`));
  });
});
