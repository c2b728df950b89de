package io.moe4j.bench.report;

import io.moe4j.bench.BenchResult;
import io.moe4j.bench.BenchRow;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The routing picture: one panel per layer shape and router, tokens down, experts across, each cell coloured by
 * the gate weight the token gave the expert. Routing does not depend on the weight dtype, so each panel shows the
 * row with the most tokens; batches longer than {@link #MAX_ROWS} are binned into runs of tokens (mean weight).
 * Each panel has its own colour bar: a binned panel's means are far smaller than single tokens' weights, and on a
 * shared scale it would be one dark block.
 */
final class RoutingHeatmap {
    static final int PANEL_WIDTH = 480;
    static final int PANEL_HEIGHT = 640;
    static final int MAX_COLUMNS = 3;
    /** Token rows drawn at most per panel: about 4 pixels each in the plot area, still distinguishable. */
    static final int MAX_ROWS = 128;

    private static final Font AXIS_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    private RoutingHeatmap() {}

    /** The rows drawn: per (shape, router), in order of first appearance, the one with the largest T. */
    static List<BenchRow> panelRows(List<BenchRow> rows) {
        Map<String, BenchRow> largest = new LinkedHashMap<>();
        for (BenchRow row : rows) {
            if (row.routing() == null) continue;
            largest.merge(row.shape() + "\u0000" + row.router(), row, (a, b) -> b.tokens() > a.tokens() ? b : a);
        }
        return List.copyOf(largest.values());
    }

    static int width(int panels) {
        return Math.min(panels, MAX_COLUMNS) * PANEL_WIDTH;
    }

    static int height(int panels) {
        return (panels + MAX_COLUMNS - 1) / MAX_COLUMNS * PANEL_HEIGHT;
    }

    /** The picture; the result must have at least one row with routing (see {@link #panelRows}). */
    static BufferedImage render(BenchResult result) {
        Headless.ensure();
        List<BenchRow> rows = panelRows(result.rows());
        if (rows.isEmpty()) throw new IllegalArgumentException("no row recorded its routing: nothing to draw a heatmap of");
        BufferedImage image = new BufferedImage(width(rows.size()), height(rows.size()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < rows.size(); i++) {
                Rectangle2D cell = new Rectangle2D.Double(i % MAX_COLUMNS * PANEL_WIDTH, i / MAX_COLUMNS * PANEL_HEIGHT,
                        PANEL_WIDTH, PANEL_HEIGHT);
                panel(rows.get(i), BinnedRouting.of(rows.get(i).routing(), MAX_ROWS)).draw(g, cell);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static JFreeChart panel(BenchRow row, BinnedRouting map) {
        GateWeightScale scale = GateWeightScale.covering(map.means());
        double[] xs = new double[map.bins() * map.experts()];
        double[] ys = new double[xs.length];
        double[] zs = new double[xs.length];
        for (int bin = 0, i = 0; bin < map.bins(); bin++) {
            for (int e = 0; e < map.experts(); e++, i++) {
                xs[i] = e;
                ys[i] = map.binStart(bin) - 0.5;
                zs[i] = map.mean(bin, e);
            }
        }
        DefaultXYZDataset dataset = new DefaultXYZDataset();
        dataset.addSeries("routing", new double[][] {xs, ys, zs});

        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        renderer.setBlockWidth(1);
        renderer.setBlockHeight(map.binSize());
        // Anchored at the data-space bottom centre: a cell spans [e - ½, e + ½] across and [first token - ½,
        // first token + bin - ½] down, so every token, binned or not, sits at its own number on the axis.
        renderer.setBlockAnchor(RectangleAnchor.BOTTOM);

        NumberAxis experts = new NumberAxis("expert");
        experts.setRange(-0.5, map.experts() - 0.5);
        experts.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        style(experts);

        NumberAxis tokens = new NumberAxis(map.binSize() == 1 ? "token"
                : "token (each row: mean of " + map.binSize() + " tokens)");
        tokens.setRange(-0.5, map.tokens() - 0.5);
        tokens.setInverted(true); // token 0 on top, as a table reads
        tokens.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        style(tokens);

        XYPlot plot = new XYPlot(dataset, experts, tokens, renderer);
        plot.setBackgroundPaint(GateWeightScale.NOT_ROUTED);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setOutlinePaint(new Color(0x999999));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        plot.setDomainAxisLocation(AxisLocation.TOP_OR_LEFT); // experts above the map, like a table header

        JFreeChart chart = new JFreeChart(row.shape() + " · " + row.router() + " · T=" + row.tokens(),
                new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(false); // crisp cell edges; text stays smooth below
        chart.setTextAntiAlias(true);
        chart.setPadding(new RectangleInsets(10, 10, 10, 10));
        chart.addSubtitle(new TextTitle(row.expertsUsed() + "/" + map.experts() + " experts used · load spread "
                + Numbers.format(row.loadSpread()) + " · " + row.dropped() + " dropped", AXIS_FONT));

        NumberAxis weightAxis = new NumberAxis((map.binSize() == 1 ? "gate weight" : "mean gate weight")
                + " (white: not routed" + (map.maxMean() > scale.getUpperBound() ? "; top colour: ≥ "
                + scale.upperBoundText() : "") + ")");
        weightAxis.setRange(0, scale.getUpperBound());
        style(weightAxis);
        weightAxis.setTickLabelInsets(new RectangleInsets(8, 4, 8, 4)); // room between labels: fewer, calmer ticks
        PaintScaleLegend bar = new PaintScaleLegend(scale, weightAxis);
        bar.setPosition(RectangleEdge.RIGHT);
        bar.setStripWidth(14);
        bar.setAxisOffset(4);
        bar.setMargin(new RectangleInsets(40, 12, 10, 0));
        bar.setStripOutlineVisible(true);
        bar.setFrame(BlockBorder.NONE);
        bar.setSubdivisionCount(200);
        chart.addSubtitle(bar);
        return chart;
    }

    private static void style(NumberAxis axis) {
        axis.setLabelFont(AXIS_FONT);
        axis.setTickLabelFont(TICK_FONT);
    }
}
