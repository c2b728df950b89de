package io.moe4j.bench.report;

import org.junit.jupiter.api.Test;

import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelPlacerTest {
    private static final Rectangle2D AREA = new Rectangle2D.Double(0, 0, 600, 400);

    @Test
    void aLoneLabelGoesToTheRightOfItsPoint() {
        LabelPlacer placer = new LabelPlacer(AREA, 6);
        placer.avoidPoint(100, 100);
        Rectangle2D box = placer.place(100, 100, 60, 14);
        assertTrue(box.getMinX() > 106, box.toString());
        assertEquals(100, box.getCenterY(), 1e-9);
    }

    @Test
    void crowdedLabelsOverlapNeitherEachOtherNorPoints() {
        LabelPlacer placer = new LabelPlacer(AREA, 6);
        List<double[]> points = new ArrayList<>();
        for (int i = 0; i < 6; i++) points.add(new double[] {200 + 4 * i, 200 + 3 * i}); // a tight diagonal cluster
        for (double[] p : points) placer.avoidPoint(p[0], p[1]);
        List<Rectangle2D> boxes = new ArrayList<>();
        for (double[] p : points) boxes.add(placer.place(p[0], p[1], 60, 14));
        for (int i = 0; i < boxes.size(); i++) {
            assertTrue(AREA.contains(boxes.get(i)));
            for (int j = i + 1; j < boxes.size(); j++) {
                assertFalse(boxes.get(i).intersects(boxes.get(j)), "labels " + i + " and " + j + " overlap");
            }
            for (double[] p : points) {
                assertFalse(boxes.get(i).intersects(p[0] - 6, p[1] - 6, 12, 12), "label " + i + " covers a point");
            }
        }
    }

    @Test
    void labelsStayInsideThePlotAndOffLines() {
        LabelPlacer placer = new LabelPlacer(AREA, 6);
        placer.avoidPoint(595, 200);
        placer.avoidLine(new Line2D.Double(0, 180, 600, 180));
        Rectangle2D box = placer.place(595, 200, 60, 14);
        assertTrue(AREA.contains(box), box.toString());
        assertTrue(box.getMaxX() <= 595 - 5, "a point at the right edge is labelled on its left: " + box);
        assertFalse(box.intersectsLine(0, 180, 600, 180), "the label crosses the line: " + box);
    }
}
