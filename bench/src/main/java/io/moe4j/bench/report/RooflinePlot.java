package io.moe4j.bench.report;

import io.moe4j.bench.BenchResult;
import io.moe4j.bench.BenchRow;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The roofline picture: every row as a point at (FLOP per weight byte, GFLOP/s) on log-log axes, under the
 * machine's two ceilings (read bandwidth × intensity, and FMA peak) that meet at the ridge. A point's height
 * under the roof above it is how much of the machine the row used.
 */
final class RooflinePlot {
    static final int WIDTH = 1100;
    static final int HEIGHT = 720;

    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font CEILING_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 12);
    private static final Color ROOF = new Color(0x333333);
    private static final Color ROOF_EXTENSION = new Color(0xbbbbbb);
    private static final double POINT_RADIUS = 6;
    /** Room around the extreme points and ceilings, as factors on the log axes (more below, for labels). */
    private static final double MARGIN_X = 2.5;
    private static final double MARGIN_Y_BELOW = 2.5;
    private static final double MARGIN_Y_ABOVE = 1.6;

    private RooflinePlot() {}

    static BufferedImage render(BenchResult result) {
        Headless.ensure();
        Roofline roof = Roofline.of(result.machine());
        List<BenchRow> plotted = result.rows().stream().filter(RooflinePlot::plottable).toList();

        double xLo = roof.ridge(), xHi = roof.ridge(), yLo = roof.fmaGflopPerS(), yHi = roof.fmaGflopPerS();
        for (BenchRow row : plotted) {
            xLo = Math.min(xLo, row.flopsPerByte());
            xHi = Math.max(xHi, row.flopsPerByte());
            yLo = Math.min(yLo, row.gflopPerS());
            yHi = Math.max(yHi, row.gflopPerS());
        }
        xLo /= MARGIN_X;
        xHi *= MARGIN_X;
        yLo /= MARGIN_Y_BELOW;
        yHi *= MARGIN_Y_ABOVE;

        XYPlot plot = new XYPlot();
        plot.setDomainAxis(logAxis("arithmetic intensity (FLOP per byte of expert weights read)", xLo, xHi));
        plot.setRangeAxis(logAxis("performance (GFLOP/s)", yLo, yHi));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        plot.setDomainMinorGridlinesVisible(true);
        plot.setRangeMinorGridlinesVisible(true);
        plot.setDomainMinorGridlinePaint(new Color(0xf0f0f0));
        plot.setRangeMinorGridlinePaint(new Color(0xf0f0f0));
        plot.setOutlinePaint(new Color(0x999999));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);

        addCeilings(plot, roof, xLo, xHi);
        addRidgeMarker(plot, roof);
        List<BenchRow> pointRows = addPoints(plot, plotted, result.rows());

        JFreeChart chart = new JFreeChart("Roofline: the MoE layer against this machine's limits",
                new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(8, 8, 8, 16));
        chart.getLegend().setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        chart.getLegend().setFrame(BlockBorder.NONE);
        chart.addSubtitle(new TextTitle(String.format(Locale.ROOT,
                "%s · read bandwidth %s GB/s · FMA peak %s GFLOP/s · ridge at %s FLOP/byte",
                Numbers.count(result.machine().threads(), "thread"), Numbers.format(roof.readGbPerS()), Numbers.format(roof.fmaGflopPerS()),
                Numbers.format(roof.ridge())), new Font(Font.SANS_SERIF, Font.PLAIN, 13)));
        int skipped = result.rows().size() - plotted.size();
        if (skipped > 0) {
            chart.addSubtitle(new TextTitle(skipped + (skipped == 1 ? " row is" : " rows are")
                    + " not plotted: no weight bytes, no FLOPs or no time to place on log axes", LABEL_FONT));
        }

        // The labels need pixel positions, which exist only once the chart is laid out: draw once to lay out,
        // place the labels, then draw for real. The axis ranges are fixed, so the layout does not move.
        ChartRenderingInfo info = new ChartRenderingInfo();
        draw(chart, info);
        annotate(plot, roof, pointRows, info.getPlotInfo().getDataArea());
        return draw(chart, null);
    }

    /** A log axis has no place for zero, and an infinite rate (a zero time) has no place at all. */
    private static boolean plottable(BenchRow row) {
        double x = row.flopsPerByte(), y = row.gflopPerS();
        return x > 0 && y > 0 && Double.isFinite(x) && Double.isFinite(y);
    }

    private static BufferedImage draw(JFreeChart chart, ChartRenderingInfo info) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            chart.draw(g, new Rectangle2D.Double(0, 0, WIDTH, HEIGHT), info);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static LogAxis logAxis(String label, double lo, double hi) {
        LogAxis axis = new ReadableLogAxis(label, lo, hi);
        axis.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        axis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return axis;
    }

    /** Dataset 0: the two ceilings (legend entries) and their faint continuations past the ridge. */
    private static void addCeilings(XYPlot plot, Roofline roof, double xLo, double xHi) {
        double ridge = roof.ridge(), fma = roof.fmaGflopPerS();
        XYSeriesCollection ceilings = new XYSeriesCollection();
        ceilings.addSeries(series("bandwidth ceiling (read " + Numbers.format(roof.readGbPerS()) + " GB/s × intensity)",
                xLo, roof.readGbPerS() * xLo, ridge, fma));
        ceilings.addSeries(series("compute ceiling (FMA peak " + Numbers.format(fma) + " GFLOP/s)", ridge, fma, xHi, fma));
        ceilings.addSeries(series("bandwidth beyond the ridge", ridge, fma, xHi, roof.readGbPerS() * xHi));
        ceilings.addSeries(series("compute before the ridge", xLo, fma, ridge, fma));
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        BasicStroke solid = new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
        BasicStroke dashed = new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {6, 5}, 0);
        renderer.setSeriesPaint(0, ROOF);
        renderer.setSeriesStroke(0, solid);
        renderer.setSeriesPaint(1, ROOF);
        renderer.setSeriesStroke(1, solid);
        for (int s = 2; s < 4; s++) {
            renderer.setSeriesPaint(s, ROOF_EXTENSION);
            renderer.setSeriesStroke(s, dashed);
            renderer.setSeriesVisibleInLegend(s, false);
        }
        plot.setDataset(0, ceilings);
        plot.setRenderer(0, renderer);
    }

    private static void addRidgeMarker(XYPlot plot, Roofline roof) {
        ValueMarker ridge = new ValueMarker(roof.ridge(), new Color(0x888888),
                new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1, new float[] {2, 3}, 0));
        ridge.setLabel("ridge " + Numbers.format(roof.ridge()) + " FLOP/byte");
        ridge.setLabelFont(LABEL_FONT);
        ridge.setLabelPaint(new Color(0x555555));
        ridge.setLabelBackgroundColor(Color.WHITE);
        ridge.setLabelAnchor(RectangleAnchor.BOTTOM_RIGHT);
        ridge.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
        ridge.setLabelOffset(new RectangleInsets(4, 4, 6, 4));
        plot.addDomainMarker(ridge);
    }

    /**
     * Dataset 1: the measured rows, one series per dtype (colour) and, when the run has several, per layer shape and
     * router (marker shape). Returns the rows in the order of the dataset's items, for labelling.
     */
    private static List<BenchRow> addPoints(XYPlot plot, List<BenchRow> plotted, List<BenchRow> all) {
        Map<String, Color> colours = DtypeColors.of(all);
        boolean severalShapes = all.stream().map(BenchRow::shape).distinct().count() > 1;
        boolean severalRouters = all.stream().map(BenchRow::router).distinct().count() > 1;
        List<String> variants = all.stream().map(RooflinePlot::variant).distinct().toList();

        Map<String, List<BenchRow>> bySeries = new LinkedHashMap<>();
        for (BenchRow row : plotted) {
            String key = row.dtype() + (severalShapes ? " · " + row.shape() : "") + (severalRouters ? " · " + row.router() : "");
            bySeries.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
        }
        XYSeriesCollection points = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        renderer.setUseOutlinePaint(true);
        renderer.setDrawOutlines(true);
        List<BenchRow> order = new ArrayList<>();
        int s = 0;
        for (Map.Entry<String, List<BenchRow>> entry : bySeries.entrySet()) {
            XYSeries series = new XYSeries(entry.getKey(), false, true);
            for (BenchRow row : entry.getValue()) {
                series.add(row.flopsPerByte(), row.gflopPerS());
                order.add(row);
            }
            points.addSeries(series);
            BenchRow first = entry.getValue().getFirst();
            renderer.setSeriesPaint(s, colours.get(first.dtype()));
            renderer.setSeriesOutlinePaint(s, Color.BLACK);
            renderer.setSeriesOutlineStroke(s, new BasicStroke(0.8f));
            renderer.setSeriesShape(s, marker(variants.indexOf(variant(first))));
            s++;
        }
        plot.setDataset(1, points);
        plot.setRenderer(1, renderer);
        return order;
    }

    /** What the marker shape tells apart: the layer shape and the router. */
    private static String variant(BenchRow row) {
        return row.shape() + "\u0000" + row.router();
    }

    /** Circle, square, triangle, diamond, …: the marker of the n-th layer shape. */
    private static Shape marker(int n) {
        double r = POINT_RADIUS;
        return switch (n % 4) {
            case 0 -> new Ellipse2D.Double(-r, -r, 2 * r, 2 * r);
            case 1 -> new Rectangle2D.Double(-r * 0.9, -r * 0.9, 1.8 * r, 1.8 * r);
            case 2 -> polygon(0, -r * 1.15, r * 1.1, r * 0.85, -r * 1.1, r * 0.85);
            default -> polygon(0, -r * 1.2, r * 1.2, 0, 0, r * 1.2, -r * 1.2, 0);
        };
    }

    private static Shape polygon(double... xy) {
        Path2D.Double path = new Path2D.Double();
        path.moveTo(xy[0], xy[1]);
        for (int i = 2; i < xy.length; i += 2) path.lineTo(xy[i], xy[i + 1]);
        path.closePath();
        return path;
    }

    private static XYSeries series(String key, double x0, double y0, double x1, double y1) {
        XYSeries series = new XYSeries(key, false, true);
        series.add(x0, y0);
        series.add(x1, y1);
        return series;
    }

    /** Labels on the two ceilings and beside every point, placed clear of each other in the laid-out chart. */
    private static void annotate(XYPlot plot, Roofline roof, List<BenchRow> rows, Rectangle2D area) {
        ValueAxis xAxis = plot.getDomainAxis(), yAxis = plot.getRangeAxis();
        RectangleEdge xEdge = plot.getDomainAxisEdge(), yEdge = plot.getRangeAxisEdge();
        FontMetrics metrics = metrics(LABEL_FONT);
        LabelPlacer placer = new LabelPlacer(area, POINT_RADIUS + 1);

        double ridgeX = xAxis.valueToJava2D(roof.ridge(), area, xEdge);
        double fmaY = yAxis.valueToJava2D(roof.fmaGflopPerS(), area, yEdge);
        placer.avoidLine(new Line2D.Double(ridgeX, fmaY, area.getMaxX(), fmaY));
        double lowX = xAxis.valueToJava2D(xAxis.getLowerBound(), area, xEdge);
        double lowY = yAxis.valueToJava2D(roof.readGbPerS() * xAxis.getLowerBound(), area, yEdge);
        placer.avoidLine(new Line2D.Double(lowX, lowY, ridgeX, fmaY));

        // The compute ceiling's name sits on it at the right end, the bandwidth ceiling's along it, halfway to the ridge.
        String fmaText = "FMA peak " + Numbers.format(roof.fmaGflopPerS()) + " GFLOP/s";
        XYTextAnnotation fma = new XYTextAnnotation(fmaText,
                xAxis.java2DToValue(area.getMaxX() - 8, area, xEdge),
                yAxis.java2DToValue(fmaY - 4, area, yEdge));
        fma.setFont(CEILING_FONT);
        fma.setPaint(ROOF);
        fma.setTextAnchor(TextAnchor.BOTTOM_RIGHT);
        plot.addAnnotation(fma);
        FontMetrics bold = metrics(CEILING_FONT);
        placer.avoidArea(new Rectangle2D.Double(area.getMaxX() - 8 - bold.stringWidth(fmaText),
                fmaY - 4 - bold.getHeight(), bold.stringWidth(fmaText), bold.getHeight()));

        double startX = Math.max(area.getMinX(), lowY > area.getMaxY()
                ? xAxis.valueToJava2D(yAxis.getLowerBound() / roof.readGbPerS(), area, xEdge) : lowX);
        double midX = (startX + ridgeX) / 2;
        double midY = lowY + (fmaY - lowY) * (midX - lowX) / (ridgeX - lowX);
        double angle = Math.atan2(fmaY - lowY, ridgeX - lowX);
        String readText = "read bandwidth " + Numbers.format(roof.readGbPerS()) + " GB/s";
        XYTextAnnotation read = new XYTextAnnotation(readText,
                xAxis.java2DToValue(midX, area, xEdge), yAxis.java2DToValue(midY, area, yEdge));
        read.setFont(CEILING_FONT);
        read.setPaint(ROOF);
        read.setTextAnchor(TextAnchor.BOTTOM_CENTER);
        read.setRotationAnchor(TextAnchor.BOTTOM_CENTER);
        read.setRotationAngle(angle);
        plot.addAnnotation(read);
        double w = bold.stringWidth(readText), h = bold.getHeight();
        placer.avoidArea(AffineTransform.getRotateInstance(angle, midX, midY)
                .createTransformedShape(new Rectangle2D.Double(midX - w / 2, midY - h - 2, w, h + 2)));

        // Points that fall on one another with the same label (the same dtype and T in another shape or router,
        // told apart by their markers) share one label rather than stacking copies of it.
        List<LabelCluster> clusters = new ArrayList<>();
        for (BenchRow row : rows) {
            double px = xAxis.valueToJava2D(row.flopsPerByte(), area, xEdge);
            double py = yAxis.valueToJava2D(row.gflopPerS(), area, yEdge);
            placer.avoidPoint(px, py);
            String text = pointLabel(row);
            LabelCluster cluster = clusters.stream()
                    .filter(c -> c.text.equals(text) && Math.hypot(c.x - px, c.y - py) < 2 * POINT_RADIUS)
                    .findFirst().orElse(null);
            if (cluster == null) clusters.add(new LabelCluster(text, px, py));
        }
        for (LabelCluster cluster : clusters) {
            Rectangle2D box = placer.place(cluster.x, cluster.y, metrics.stringWidth(cluster.text),
                    metrics.getAscent() + metrics.getDescent());
            XYTextAnnotation label = new XYTextAnnotation(cluster.text,
                    xAxis.java2DToValue(box.getCenterX(), area, xEdge), yAxis.java2DToValue(box.getCenterY(), area, yEdge));
            label.setFont(LABEL_FONT);
            label.setPaint(new Color(0x222222));
            label.setTextAnchor(TextAnchor.CENTER);
            plot.addAnnotation(label);
        }
    }

    private record LabelCluster(String text, double x, double y) {}

    /** "f32 T=32": the dtype is also the colour; shape and router are the marker, named in the legend. */
    static String pointLabel(BenchRow row) {
        return row.dtype() + " T=" + row.tokens();
    }

    private static FontMetrics metrics(Font font) {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            return g.getFontMetrics(font);
        } finally {
            g.dispose();
        }
    }
}
