package io.moe4j.bench.report;

import io.moe4j.bench.BenchResult;
import io.moe4j.bench.BenchRow;
import io.moe4j.bench.Environment;
import io.moe4j.bench.MachineLimits;
import io.moe4j.bench.ModelResult;
import io.moe4j.bench.Timing;

import java.awt.Color;
import java.util.List;
import java.util.Map;

/**
 * The report's page: what ran, the machine's limits, the table with every number, the model's pp/tg numbers when
 * measured, and the two pictures with a short guide each. Self-contained apart from the PNGs beside it (inline
 * CSS, no scripts, no fonts or files from elsewhere); every string from the run is HTML-escaped.
 */
final class HtmlReport {
    private static final String STYLE = """
            body { font: 15px/1.45 system-ui, "DejaVu Sans", sans-serif; color: #222; margin: 24px auto; max-width: 1240px; padding: 0 16px; }
            h1 { font-size: 26px; margin: 0 0 4px; }
            h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
            .lede { color: #555; margin: 0 0 12px; }
            table { border-collapse: collapse; font-size: 13px; }
            th, td { padding: 4px 6px; border-bottom: 1px solid #e4e4e4; text-align: left; white-space: nowrap; }
            th { background: #f4f4f4; font-weight: 600; white-space: normal; vertical-align: bottom; }
            table.rows th.n { max-width: 72px; }
            td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
            .scroll { overflow-x: auto; }
            table.facts th { background: none; font-weight: normal; color: #555; }
            .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; border: 1px solid #333; }
            .range { color: #777; }
            figure { margin: 0; }
            figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
            figcaption { max-width: 900px; color: #333; margin-top: 6px; }
            """;

    private HtmlReport() {}

    /**
     * @param roofline file name of the roofline PNG beside the page
     * @param routing  file name of the routing heatmap PNG, or null when no row recorded its routing
     */
    static String render(BenchResult result, String roofline, String routing) {
        StringBuilder html = new StringBuilder(16_384);
        Environment env = result.environment();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>moe4j bench · ").append(esc(env.started())).append("</title>\n")
                .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n")
                .append("<h1>moe4j bench</h1>\n")
                .append("<p class=\"lede\">").append(esc(env.cpu())).append(" · ")
                .append(Numbers.count(env.threads(), "thread")).append(" · ").append(esc(env.started())).append("</p>\n");
        machine(html, env, result.machine());
        rows(html, result);
        if (result.model() != null) model(html, result.model());
        rooflineFigure(html, roofline);
        if (routing != null) routingFigure(html, result, routing);
        else html.append("<h2>Routing</h2>\n<p>No row recorded its routing, so there is no heatmap.</p>\n");
        html.append("</body>\n</html>\n");
        return html.toString();
    }

    private static void machine(StringBuilder html, Environment env, MachineLimits machine) {
        Roofline roof = Roofline.of(machine);
        html.append("<h2>Machine</h2>\n<table class=\"facts\">\n");
        fact(html, "CPU", esc(env.cpu()) + " (" + Numbers.count(env.cores(), "core") + ")");
        fact(html, "OS", esc(env.os()));
        fact(html, "Java", esc(env.java()));
        fact(html, "moe4j", esc(env.moe4j()));
        fact(html, "oneDNN", esc(env.onednn()));
        fact(html, "threads", Integer.toString(machine.threads()));
        fact(html, "read bandwidth", Numbers.format(machine.readGbPerS()) + " GB/s (streaming read over a buffer much larger than the last-level cache)");
        fact(html, "FMA peak", Numbers.format(machine.fmaGflopPerS()) + " GFLOP/s (register-only vector FMA loop)");
        fact(html, "ridge point", Numbers.format(roof.ridge()) + " FLOP/byte (below it a kernel is bound by bandwidth, above it by compute)");
        fact(html, "started", esc(env.started()));
        html.append("</table>\n");
    }

    private static void fact(StringBuilder html, String name, String escapedValue) {
        html.append("<tr><th>").append(name).append("</th><td>").append(escapedValue).append("</td></tr>\n");
    }

    private static void rows(StringBuilder html, BenchResult result) {
        MachineLimits machine = result.machine();
        Roofline roof = Roofline.of(machine);
        Map<String, Color> colours = DtypeColors.of(result.rows());
        boolean twin = result.rows().stream().anyMatch(r -> r.twin() != null);
        List<String> routers = result.rows().stream().map(BenchRow::router).distinct().toList();
        // One router for the whole run (the usual case) is named once above the table, leaving room for numbers.
        boolean routerColumn = routers.size() > 1;
        html.append("<h2>Results</h2>\n<p class=\"lede\">One row per layer shape, ")
                .append(routerColumn ? "router, " : "")
                .append("weight dtype and batch of T tokens")
                .append(routers.size() == 1 ? ", all routed by <b>" + esc(routers.getFirst()) + "</b>" : "")
                .append("; ")
                .append("times are medians over the measured runs (warm-up not counted), the rates follow from the median. ")
                .append("GB/s counts the weight bytes of the experts the batch used.</p>\n")
                .append("<div class=\"scroll\"><table class=\"rows\">\n<thead><tr>")
                .append("<th>shape</th>").append(routerColumn ? "<th>router</th>" : "").append("<th>dtype</th><th class=\"n\">T</th>")
                .append("<th class=\"n\">median ms</th><th class=\"n\">min–max ms</th><th class=\"n\">runs</th>")
                .append("<th class=\"n\">tokens/s</th><th class=\"n\">GB/s</th><th class=\"n\">GFLOP/s</th>")
                .append("<th class=\"n\">FLOP/byte</th><th class=\"n\">% read bandwidth</th><th class=\"n\">% FMA peak</th>")
                .append("<th class=\"n\">% of roof</th><th class=\"n\">experts used</th><th class=\"n\">load spread</th>")
                .append("<th class=\"n\">dropped</th>");
        if (twin) html.append("<th class=\"n\">C median ms</th><th class=\"n\">Java/C</th>");
        html.append("</tr></thead>\n<tbody>\n");
        for (BenchRow row : result.rows()) {
            Timing t = row.timing();
            html.append("<tr><td>").append(esc(row.shape())).append("</td>");
            if (routerColumn) html.append("<td>").append(esc(row.router())).append("</td>");
            html.append("<td><span class=\"swatch\" style=\"background:")
                    .append(DtypeColors.hex(colours.get(row.dtype()))).append("\"></span>").append(esc(row.dtype()))
                    .append("</td>");
            num(html, Integer.toString(row.tokens()));
            num(html, Numbers.format(t.median()));
            num(html, Numbers.format(t.min()) + "–" + Numbers.format(t.max()));
            num(html, Integer.toString(t.runs()));
            num(html, Numbers.format(row.tokensPerS()));
            num(html, Numbers.format(row.gbPerS()));
            num(html, Numbers.format(row.gflopPerS()));
            num(html, Numbers.format(row.flopsPerByte()));
            num(html, Numbers.percent(row.pctReadBandwidth(machine)));
            num(html, Numbers.percent(row.pctFmaPeak(machine)));
            num(html, Numbers.percent(roof.pctOfRoof(row)));
            num(html, row.expertsUsed() + "/" + row.expertLoad().length);
            num(html, Numbers.format(row.loadSpread()));
            num(html, Long.toString(row.dropped()));
            if (twin) {
                num(html, row.twin() == null ? "–" : Numbers.format(row.twin().median()));
                num(html, Numbers.format(row.javaOverC()));
            }
            html.append("</tr>\n");
        }
        html.append("</tbody>\n</table></div>\n");
    }

    private static void num(StringBuilder html, String text) {
        html.append("<td class=\"n\">").append(text).append("</td>");
    }

    private static void model(StringBuilder html, ModelResult model) {
        html.append("<h2>Model</h2>\n<p class=\"lede\">End to end on ").append(esc(model.model()))
                .append(" (").append(esc(model.dtype())).append("): prompt processing (pp, prefill of the whole prompt) ")
                .append("and token generation (tg, one token per step), as llama-bench reports them.</p>\n")
                .append("<table class=\"model\">\n<thead><tr><th>test</th><th class=\"n\">tokens</th>")
                .append("<th class=\"n\">median ms</th><th class=\"n\">min–max ms</th><th class=\"n\">tokens/s</th></tr></thead>\n<tbody>\n");
        modelRow(html, "pp" + model.promptTokens(), model.promptTokens(), model.prefill(), model.prefillTokensPerS());
        modelRow(html, "tg" + model.decodeTokens(), model.decodeTokens(), model.decode(), model.decodeTokensPerS());
        html.append("</tbody>\n</table>\n");
    }

    private static void modelRow(StringBuilder html, String test, int tokens, Timing timing, double tokensPerS) {
        html.append("<tr><td>").append(test).append("</td>");
        num(html, Integer.toString(tokens));
        num(html, Numbers.format(timing.median()));
        num(html, Numbers.format(timing.min()) + "–" + Numbers.format(timing.max()));
        num(html, Numbers.format(tokensPerS));
        html.append("</tr>\n");
    }

    private static void rooflineFigure(StringBuilder html, String file) {
        html.append("<h2>Roofline</h2>\n<figure>\n")
                .append(img(file, "Roofline plot: each row's GFLOP/s against its FLOPs per weight byte, under the bandwidth and compute ceilings",
                        RooflinePlot.WIDTH, RooflinePlot.HEIGHT))
                .append("<figcaption><b>How to read this.</b> Each point is one row of the table. Across: how many ")
                .append("FLOPs the layer does per byte of expert weights it reads; this grows with T, as more tokens share ")
                .append("each expert's weights, and doubles from f32 to bf16 as the bytes halve. Up: the GFLOP/s it reached. ")
                .append("The solid line is the roof, the most this machine allows: left of the ridge the slanted bandwidth ")
                .append("ceiling (reading weights is the limit, as in decoding one token at a time), right of it the flat ")
                .append("compute ceiling. A point just under its roof uses the machine well; the gap up to the roof is the ")
                .append("headroom (the table's “% of roof”). Both axes are logarithmic: one major grid step is a factor of ten.")
                .append("</figcaption>\n</figure>\n");
    }

    private static void routingFigure(StringBuilder html, BenchResult result, String file) {
        List<BenchRow> panels = RoutingHeatmap.panelRows(result.rows());
        boolean binned = panels.stream().anyMatch(r -> r.routing().tokens() > RoutingHeatmap.MAX_ROWS);
        html.append("<h2>Routing</h2>\n<figure>\n")
                .append(img(file, "Routing heatmap: gate weight per token and expert",
                        RoutingHeatmap.width(panels.size()), RoutingHeatmap.height(panels.size())))
                .append("<figcaption><b>How to read this.</b> One panel per layer shape and router, for its row with ")
                .append("the most tokens (routing does not depend on the weight dtype). Rows are the batch's tokens in ")
                .append("order, columns the experts; a cell's colour is the gate weight with which the token's output took ")
                .append("that expert, white where the token did not go there. A top-k router colours k cells per row. ")
                .append("A column paler or emptier than the others is an expert that gets less work: the load spread ")
                .append("above each panel is the busiest expert's load over the mean (1 = perfectly even). Each panel ")
                .append("has its own colour bar, spanning 99 % of its routed cells; the rare cells above take the top colour.");
        if (binned) {
            html.append(" Batches longer than ").append(RoutingHeatmap.MAX_ROWS).append(" tokens are drawn in bins of ")
                    .append("consecutive tokens, each row showing the mean weight over its bin, so a row there blends ")
                    .append("several tokens (the token axis label says how many).");
        }
        html.append("</figcaption>\n</figure>\n");
    }

    private static String img(String file, String alt, int width, int height) {
        return "<img src=\"" + esc(file) + "\" alt=\"" + esc(alt) + "\" width=\"" + width + "\" height=\"" + height + "\">\n";
    }

    private static String esc(String text) {
        return Html.escape(text);
    }
}
