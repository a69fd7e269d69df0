// A bar chart as inline SVG: one bar per time bucket, labelled for screen readers with a title per
// bar and a table-equivalent summary. No script, no library, nothing fetched.
export interface Bar {
  at: number;
  value: number;
}

const W = 720;
const H = 160;
const PAD_LEFT = 56;
const PAD_BOTTOM = 20;

export function BarChart(props: {
  title: string;
  bars: Bar[];
  format: (v: number) => string;
  label: (at: number) => string;
}) {
  const { bars } = props;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const plotW = W - PAD_LEFT;
  const plotH = H - PAD_BOTTOM;
  const step = bars.length > 0 ? plotW / bars.length : plotW;
  const total = bars.reduce((s, b) => s + b.value, 0);
  const first = bars[0];
  const last = bars.at(-1);
  return (
    <figure>
      <figcaption>
        {props.title}: {props.format(total)} in total
      </figcaption>
      <svg
        class="chart"
        role="img"
        aria-label={`${props.title}, ${bars.length} intervals, peak ${props.format(max)}`}
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        data-chart={props.title}
        data-total={String(total)}
      >
        <line class="axis" x1={PAD_LEFT} y1={plotH} x2={W} y2={plotH} />
        <text x={PAD_LEFT - 6} y={10} text-anchor="end">
          {props.format(max)}
        </text>
        <text x={PAD_LEFT - 6} y={plotH} text-anchor="end">
          0
        </text>
        {bars.map((b, i) => {
          const h = max > 0 ? (b.value / max) * (plotH - 4) : 0;
          return (
            <rect class="bar" x={PAD_LEFT + i * step + 1} y={plotH - h} width={Math.max(1, step - 2)} height={h}>
              <title>{`${props.label(b.at)}: ${props.format(b.value)}`}</title>
            </rect>
          );
        })}
        {first ? (
          <text x={PAD_LEFT} y={H - 4}>
            {props.label(first.at)}
          </text>
        ) : null}
        {last ? (
          <text x={W} y={H - 4} text-anchor="end">
            {props.label(last.at)}
          </text>
        ) : null}
      </svg>
    </figure>
  );
}
