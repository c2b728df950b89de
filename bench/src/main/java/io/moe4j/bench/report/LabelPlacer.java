package io.moe4j.bench.report;

import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;

/**
 * Places a text label beside each point of a scatter plot, in image pixels, so that labels cover neither each other
 * nor the points and stay inside the plot area. Greedy: for each point in turn it tries positions around it (to the
 * right first, where readers look), nearest first, and keeps the cheapest; a label that crosses a drawn line is
 * allowed but costs more than one beside it.
 */
final class LabelPlacer {
    /** Distances from a marker's edge to its label that are tried, nearest first: further out when crowded. */
    private static final double[] GAPS = {3, 10, 20, 34};
    private static final double COST_OUTSIDE = 1e6;
    private static final double COST_COVER = 1e3;
    private static final double COST_CROSS_LINE = 30;

    private final Rectangle2D bounds;
    private final double markerRadius;
    private final List<Shape> solid = new ArrayList<>();
    private final List<Shape> lines = new ArrayList<>();

    /** Labels stay inside {@code bounds}, clear of point markers of {@code markerRadius} pixels. */
    LabelPlacer(Rectangle2D bounds, double markerRadius) {
        this.bounds = bounds;
        this.markerRadius = markerRadius;
    }

    /** A marker at (x, y) that no label may cover. */
    void avoidPoint(double x, double y) {
        solid.add(new Ellipse2D.Double(x - markerRadius, y - markerRadius, 2 * markerRadius, 2 * markerRadius));
    }

    /** Something drawn (text, a legend) that no label may cover. */
    void avoidArea(Shape area) {
        solid.add(area);
    }

    /** A drawn line that labels should rather not cross. */
    void avoidLine(Shape line) {
        lines.add(line);
    }

    /** The rectangle for a {@code width × height} label of the point (x, y); later labels avoid it. */
    Rectangle2D place(double x, double y, double width, double height) {
        Rectangle2D best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        int preference = 0;
        for (double gap : GAPS) {
            double d = markerRadius + gap;
            double[][] centres = {
                    {x + d + width / 2, y},                     // right
                    {x + d + width / 2, y - d - height / 2},    // above right
                    {x + d + width / 2, y + d + height / 2},    // below right
                    {x, y - d - height / 2},                    // above
                    {x, y + d + height / 2},                    // below
                    {x - d - width / 2, y},                     // left
                    {x - d - width / 2, y - d - height / 2},    // above left
                    {x - d - width / 2, y + d + height / 2},    // below left
            };
            for (double[] c : centres) {
                Rectangle2D candidate = new Rectangle2D.Double(c[0] - width / 2, c[1] - height / 2, width, height);
                double cost = cost(candidate) + preference++;
                if (cost < bestCost) {
                    bestCost = cost;
                    best = candidate;
                }
            }
        }
        solid.add(best);
        return best;
    }

    private double cost(Rectangle2D candidate) {
        double cost = bounds.contains(candidate) ? 0 : COST_OUTSIDE;
        for (Shape s : solid) if (s.intersects(candidate)) cost += COST_COVER;
        for (Shape s : lines) if (s.intersects(candidate)) cost += COST_CROSS_LINE;
        return cost;
    }
}
