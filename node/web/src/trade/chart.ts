// Candles with volume (lightweight-charts): history from rb_getCandles, then the `candles` feed's current
// candle per tick. Prices are ticks, volume lots (docs/api.md).

import { CandlestickSeries, ColorType, HistogramSeries, type IChartApi, type ISeriesApi, type UTCTimestamp, createChart } from "lightweight-charts";
import type { Candle } from "../../../client/client.ts";
import { Panel, errText, h } from "../dom.ts";
import type { Live } from "../live.ts";

const INTERVALS = [60, 300, 3600] as const;
const LABEL: Record<number, string> = { 60: "1m", 300: "5m", 3600: "1h" };

export class ChartPanel {
  readonly panel = new Panel("chart", "Price");
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<"Candlestick">;
  private readonly volume: ISeriesApi<"Histogram">;
  private interval = 60;
  private market = 0;
  private stop: () => void = () => {};
  /** Candle updates drawn (the tests read it). */
  updates = 0;
  private readonly live: Live;

  constructor(live: Live) {
    this.live = live;
    const host = h("div.chart");
    for (const i of INTERVALS) {
      this.panel.tools.append(h("button.iv", { "data-interval": i, onclick: () => this.show(this.market, i) }, LABEL[i]!));
    }
    this.panel.body.append(host);
    this.chart = createChart(host, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: "transparent" }, textColor: "#9aa4b2", attributionLogo: false },
      grid: { vertLines: { color: "#1f2630" }, horzLines: { color: "#1f2630" } },
      timeScale: { timeVisible: true, secondsVisible: false },
      rightPriceScale: { borderColor: "#2a323d" },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, { upColor: "#26a69a", downColor: "#ef5350", wickUpColor: "#26a69a", wickDownColor: "#ef5350", borderVisible: false, priceFormat: { type: "price", precision: 0, minMove: 1 } });
    this.volume = this.chart.addSeries(HistogramSeries, { priceFormat: { type: "volume" }, priceScaleId: "" });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    live.onState((s) => (s === "down" ? this.panel.stale() : s === "open" && this.panel.state === "stale" ? void this.show(this.market, this.interval) : undefined));
  }

  private bar(c: Candle): void {
    const time = c.start as UTCTimestamp;
    this.candles.update({ time, open: c.open, high: c.high, low: c.low, close: c.close });
    this.volume.update({ time, value: c.volume, color: c.close >= c.open ? "#26a69a66" : "#ef535066" });
  }

  /** The market's last 500 candles as the series' data. */
  private async load(market: number, interval: number): Promise<void> {
    try {
      const hist = await this.live.client.getCandles(market, interval, 500);
      if (market !== this.market || interval !== this.interval) return;
      this.candles.setData(hist.map((c) => ({ time: c.start as UTCTimestamp, open: c.open, high: c.high, low: c.low, close: c.close })));
      this.volume.setData(hist.map((c) => ({ time: c.start as UTCTimestamp, value: c.volume, color: c.close >= c.open ? "#26a69a66" : "#ef535066" })));
      this.panel.ok();
    } catch (e) {
      this.panel.error(`candles: ${errText(e)}`);
    }
  }

  async show(market: number, interval: number): Promise<void> {
    this.stop();
    this.market = market;
    this.interval = interval;
    for (const b of this.panel.tools.querySelectorAll("button")) b.classList.toggle("on", Number(b.dataset.interval) === interval);
    this.panel.loading();
    await this.load(market, interval);
    if (market !== this.market || interval !== this.interval) return;
    this.stop = this.live.subscribe("candles", { market, interval }, (m) => {
      // A rollback (docs/api.md "Rollbacks") recomputed candles: the series is read again.
      if ((m as { type: string }).type === "candles") return void this.load(market, interval);
      const c = (m as { candle: Candle }).candle;
      try {
        this.bar(c);
        this.updates++;
        if (this.panel.state !== "ok") this.panel.ok();
      } catch {
        // an update older than the last bar (after a resubscribe): the next history load covers it
      }
    });
  }
}
