// Types for parse-prometheus-text-format 1.1.1 (the package ships none): the parts we read.
declare module "parse-prometheus-text-format" {
  export interface PrometheusSample {
    value?: string;
    labels?: Record<string, string>;
  }
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: PrometheusSample[];
  }
  /** Throws on a line it cannot parse. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
