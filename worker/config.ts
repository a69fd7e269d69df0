// The router's one typed config: the env's vars parsed by their declarations (config-vars.ts), once per env
// object. A bad value is never replaced by a default: every request answers 500 `config_invalid` naming the
// variable, and the Durable Objects refuse to start.
import { CONFIG_VARS, type ConfigVarName, isChoice, type SettingSpec, type VarSpec } from "./config-vars";
import { RouterError } from "./errors";

/** The vars as they arrive: strings (a JSON var from wrangler.toml may be a number). */
export type ConfigSource = { readonly [K in ConfigVarName]?: string };

type Value<S> = S extends { choices: readonly (infer C)[] } ? C : number;

/** The parsed settings, every one present. */
export type RouterConfig = { readonly [K in ConfigVarName]: Value<(typeof CONFIG_VARS)[K]> };

const INTEGER = /^(0|[1-9]\d*)$/;

const expected = (spec: VarSpec) => `an integer number of ${spec.unit} from ${spec.min} to ${spec.max}`;

const invalid = (name: string, problem: string) =>
  new RouterError(500, { message: `Router misconfigured: ${name} ${problem}.`, code: "config_invalid", param: name });

function parseVar(name: ConfigVarName, raw: unknown): number | string | null {
  const spec: SettingSpec = CONFIG_VARS[name];
  if (isChoice(spec)) {
    if (raw === undefined) return spec.default;
    if (typeof raw === "string" && spec.choices.includes(raw)) return raw;
    throw invalid(name, `is ${JSON.stringify(raw)}; expected one of ${spec.choices.join(", ")}`);
  }
  if (raw === undefined) return spec.default;
  const text = typeof raw === "number" ? String(raw) : raw;
  const n = typeof text === "string" && INTEGER.test(text) ? Number(text) : Number.NaN;
  if (!(n >= spec.min && n <= spec.max)) throw invalid(name, `is ${JSON.stringify(raw)}; expected ${expected(spec)}`);
  return n;
}

/** Parses and checks every var; throws the RouterError (500, config_invalid) for the first bad one. */
export function parseConfig(source: ConfigSource): RouterConfig {
  const parsed = {} as Record<ConfigVarName, number | string>;
  for (const name of Object.keys(CONFIG_VARS) as ConfigVarName[])
    parsed[name] = parseVar(name, source[name]) ?? Number.NaN;
  const config = parsed as { -readonly [K in ConfigVarName]: RouterConfig[K] };
  // The one derived default.
  if (source.UPSTREAM_BUDGET_MS === undefined) config.UPSTREAM_BUDGET_MS = 2 * config.UPSTREAM_TIMEOUT_MS;
  atLeast(config, "UPSTREAM_BUDGET_MS", "UPSTREAM_TIMEOUT_MS");
  atLeast(config, "BREAKER_MAX_COOLDOWN_MS", "BREAKER_COOLDOWN_MS");
  return Object.freeze(config);
}

type NumberVar = { [K in ConfigVarName]: RouterConfig[K] extends number ? K : never }[ConfigVarName];

function atLeast(config: RouterConfig, name: NumberVar, floor: NumberVar): void {
  if (config[name] < config[floor])
    throw invalid(name, `(${config[name]}) is shorter than ${floor} (${config[floor]}); expected at least ${floor}`);
}

const parsed = new WeakMap<object, RouterConfig | RouterError>();

/** The env's settings, parsed on first use and remembered (a bad config keeps failing the same way). */
export function configOf(env: ConfigSource): RouterConfig {
  let held = parsed.get(env);
  if (held === undefined) {
    try {
      held = parseConfig(env);
    } catch (err) {
      if (!(err instanceof RouterError)) throw err;
      console.error(JSON.stringify({ msg: "config_invalid", error: err.message }));
      held = err;
    }
    parsed.set(env, held);
  }
  if (held instanceof RouterError) throw held;
  return held;
}
