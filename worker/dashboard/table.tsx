// The one table every dashboard page draws: column headers, one row per item, numbers right-aligned.
// A page describes its columns; the markup (scope, classes, data-field hooks for tests) lives here.
import type { Child } from "hono/jsx";

export interface Column<T> {
  title: string;
  cell: (row: T) => Child;
  /** Right-aligned, tabular figures. */
  num?: boolean;
  /** A `data-field` on the cell, so a test (or a script) can find it without counting columns. */
  field?: string;
  /** Kept on one line (times, buttons). */
  nowrap?: boolean;
  /** A class for the cell, from its row (e.g. ok / bad). */
  tone?: (row: T) => string | undefined;
}

const classes = (...names: (string | false | undefined)[]) => names.filter(Boolean).join(" ") || undefined;

export function Table<T>(props: {
  columns: Column<T>[];
  rows: readonly T[];
  /** Attributes of a row's <tr>, e.g. `data-instance`. */
  rowAttributes?: (row: T) => Record<string, string>;
  /** Shown instead of an empty table. */
  empty?: string;
}) {
  const { columns, rows } = props;
  if (rows.length === 0 && props.empty) return <p class="muted">{props.empty}</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" class={classes(c.num && "num")}>
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr {...(props.rowAttributes?.(r) ?? {})}>
              {columns.map((c) => (
                <td class={classes(c.num && "num", c.nowrap && "nowrap", c.tone?.(r))} data-field={c.field}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
