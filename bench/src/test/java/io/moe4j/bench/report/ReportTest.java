package io.moe4j.bench.report;

import io.moe4j.bench.BenchResult;
import io.moe4j.bench.BenchRow;
import io.moe4j.bench.LayerShape;
import io.moe4j.bench.MachineLimits;
import io.moe4j.bench.ModelMemory;
import io.moe4j.bench.ModelResult;
import io.moe4j.bench.RoutingMap;
import io.moe4j.bench.RowCost;
import io.moe4j.bench.Timing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    private static final ModelResult MODEL = new ModelResult("tiny-mixtral", "bf16", 128,
            new Timing(new double[] {400, 410, 420}), 32, new Timing(new double[] {900, 950, 1000}),
            new ModelMemory(3_500_000_000L, 3_160_000_000L, 6_000_000L, 0.0, 0.0));

    @TempDir
    Path temp;

    @Test
    void writesThePageAndBothPicturesIntoANewFolder() throws IOException {
        Path dir = temp.resolve("not/yet/there");
        Path index = Report.write(dir, SampleResults.mixtral(false, MODEL));

        assertEquals(dir.resolve(Report.INDEX), index);
        assertEquals("true", System.getProperty("java.awt.headless"));
        BufferedImage roofline = decode(dir.resolve(Report.ROOFLINE));
        assertEquals(RooflinePlot.WIDTH, roofline.getWidth());
        assertEquals(RooflinePlot.HEIGHT, roofline.getHeight());
        assertDrawn(roofline);
        BufferedImage routing = decode(dir.resolve(Report.ROUTING));
        assertEquals(RoutingHeatmap.width(1), routing.getWidth());
        assertEquals(RoutingHeatmap.height(1), routing.getHeight());
        assertDrawn(routing);
    }

    @Test
    void thePageHoldsEveryRowsNumbers() {
        BenchResult result = SampleResults.mixtral(false, MODEL);
        String html = page(result);
        for (BenchRow row : result.rows()) {
            for (String number : List.of(Numbers.format(row.msMedian()),
                    Numbers.format(row.timing().min()) + "–" + Numbers.format(row.timing().max()),
                    Numbers.format(row.tokensPerS()), Numbers.format(row.gbPerS()), Numbers.format(row.gflopPerS()),
                    Numbers.percent(row.pctReadBandwidth(result.machine())),
                    Numbers.percent(row.pctFmaPeak(result.machine())),
                    row.expertsUsed() + "/" + row.expertLoad().length, Numbers.format(row.loadSpread()))) {
                assertTrue(html.contains(">" + number + "<"), row.dtype() + " T=" + row.tokens() + ": " + number);
            }
        }
        // The f32 T=1 row as a reader sees it: 80 % of 20 GB/s on 1.41 GB of two experts' weights.
        assertTrue(html.contains("<td class=\"n\">88.3</td><td class=\"n\">85.4–90.7</td><td class=\"n\">5</td>"
                + "<td class=\"n\">11.3</td><td class=\"n\">16.0</td><td class=\"n\">7.98</td>"), html);
        assertTrue(html.contains(">79.8 %<"));
        assertTrue(html.contains("softmax_topk"));
        assertTrue(html.contains(">pp128<") && html.contains(">312<") && html.contains(">tg32<") && html.contains(">33.7<"));
        assertTrue(html.contains("20.0 GB/s") && html.contains("150 GFLOP/s") && html.contains("7.50 FLOP/byte"));
        assertTrue(html.contains("<img src=\"roofline.png\"") && html.contains("<img src=\"routing.png\""));
        assertFalse(html.contains("Java/C"), "no twin column without twin times");
    }

    @Test
    void theTwinsRatioIsShownWhenTheTwinRan() {
        BenchResult result = SampleResults.mixtral(true, null);
        String html = page(result);
        assertTrue(html.contains("Java/C"));
        for (BenchRow row : result.rows()) {
            assertTrue(html.contains(">" + Numbers.format(row.javaOverC()) + "</td></tr>"), row.dtype() + " T=" + row.tokens());
        }
        assertEquals("1.01", Numbers.format(result.rows().getFirst().javaOverC()));
        assertFalse(html.contains("<h2>Model</h2>"), "no model section without a model run");
    }

    @Test
    void everyStringFromTheRunIsEscaped() {
        String hostile = "<script>alert(\"x\")</script> & 'q'";
        String escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;";
        List<BenchRow> rows = new ArrayList<>();
        for (BenchRow r : SampleResults.rows(LayerShape.MIXTRAL, hostile, false)) {
            rows.add(new BenchRow(hostile, hostile, r.tokens(), hostile, r.timing(), r.cost(), r.expertLoad(),
                    r.dropped(), r.routing(), r.twin()));
        }
        rows.add(SampleResults.row(LayerShape.MIXTRAL, io.moe4j.engine.tensor.DType.F32, 1, "softmax_topk", false));
        ModelResult model = new ModelResult(hostile, hostile, 8, MODEL.prefill(), 8, MODEL.decode(), MODEL.memory());
        BenchResult result = new BenchResult(SampleResults.environment(hostile), SampleResults.MACHINE, rows, model);

        String html = page(result);
        assertFalse(html.contains("<script"), "an unescaped tag got through");
        assertFalse(html.contains("'q'"));
        assertTrue(html.contains(escaped));
        assertTrue(html.contains("<td>" + escaped + "</td>"), "the router column, as the rows have two routers");
    }

    @Test
    void aFileWhereTheFolderShouldBeIsAClearError() throws IOException {
        Path file = Files.writeString(temp.resolve("report"), "not a folder");
        IOException e = assertThrows(IOException.class, () -> Report.write(file, SampleResults.mixtral(false, null)));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void aFolderThatCannotBeCreatedIsAClearError() throws IOException {
        Path blocked = Files.writeString(temp.resolve("plain-file"), "x").resolve("report");
        IOException e = assertThrows(IOException.class, () -> Report.write(blocked, SampleResults.mixtral(false, null)));
        assertTrue(e.getMessage().startsWith("cannot create the report directory " + blocked + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), "says why in words: " + e.getMessage());
    }

    @Test
    void withoutRoutingThereIsNoHeatmapAndNoStaleOne() throws IOException {
        Files.writeString(temp.resolve(Report.ROUTING), "from an earlier run");
        List<BenchRow> rows = SampleResults.mixtral(false, null).rows().stream()
                .map(r -> new BenchRow(r.shape(), r.dtype(), r.tokens(), r.router(), r.timing(), r.cost(), r.expertLoad(),
                        r.dropped(), null, r.twin()))
                .toList();
        String html = Files.readString(Report.write(temp, new BenchResult(SampleResults.environment("cpu"),
                SampleResults.MACHINE, rows, null)));
        assertFalse(Files.exists(temp.resolve(Report.ROUTING)));
        assertFalse(html.contains("routing.png"));
        assertTrue(html.contains("no heatmap"));
    }

    @Test
    void oneHeatmapPanelPerShapeAndRouterFromItsLargestBatch() throws IOException {
        List<BenchRow> rows = new ArrayList<>(SampleResults.rows(LayerShape.MIXTRAL, "softmax_topk", false));
        rows.addAll(SampleResults.rows(LayerShape.DBRX, "softmax_topk", false));
        List<BenchRow> panels = RoutingHeatmap.panelRows(rows);
        assertEquals(2, panels.size());
        assertEquals(List.of("mixtral", "dbrx"), panels.stream().map(BenchRow::shape).toList());
        assertTrue(panels.stream().allMatch(r -> r.tokens() == 512));

        Report.write(temp, new BenchResult(SampleResults.environment("cpu"), SampleResults.MACHINE, rows, null));
        BufferedImage routing = decode(temp.resolve(Report.ROUTING));
        assertEquals(RoutingHeatmap.width(2), routing.getWidth());
        assertEquals(RoutingHeatmap.height(2), routing.getHeight());
    }

    @Test
    void aRowWithNothingToPlaceOnLogAxesIsLeftOffThePlotButNotTheTable() throws IOException {
        BenchResult sample = SampleResults.mixtral(false, null);
        BenchRow first = sample.rows().getFirst();
        BenchRow empty = new BenchRow("empty-shape", first.dtype(), 1, first.router(), first.timing(), new RowCost(0, 0),
                new long[first.expertLoad().length], 0, first.routing(), null);
        List<BenchRow> rows = new ArrayList<>(sample.rows());
        rows.add(empty);
        String html = Files.readString(Report.write(temp, new BenchResult(sample.environment(), sample.machine(), rows, null)));
        assertTrue(html.contains("<td>empty-shape</td>"));
        assertDrawn(decode(temp.resolve(Report.ROOFLINE)));
    }

    @Test
    void limitsThatMakeNoRoofFailBeforeTheFolderIsMade() {
        BenchResult sample = SampleResults.mixtral(false, null);
        BenchResult unmeasured = new BenchResult(sample.environment(), new MachineLimits(0, 0, 2), sample.rows(), null);
        Path dir = temp.resolve("never");
        assertThrows(IllegalArgumentException.class, () -> Report.write(dir, unmeasured));
        assertFalse(Files.exists(dir));
    }

    @Test
    void thePicturesFollowTheData() {
        BenchResult sample = SampleResults.mixtral(false, null);
        List<BenchRow> faster = sample.rows().stream()
                .map(r -> new BenchRow(r.shape(), r.dtype(), r.tokens(), r.router(),
                        new Timing(Arrays.stream(r.timing().ms()).map(ms -> ms / 2).toArray()), r.cost(),
                        r.expertLoad(), r.dropped(), allToExpertZero(r.routing()), r.twin()))
                .toList();
        BenchResult other = new BenchResult(sample.environment(), sample.machine(), faster, null);
        assertFalse(samePixels(RooflinePlot.render(sample), RooflinePlot.render(other)));
        assertFalse(samePixels(RoutingHeatmap.render(sample), RoutingHeatmap.render(other)));
    }

    /** The page alone: the pictures' files are other tests' business, and drawing them takes a while. */
    private static String page(BenchResult result) {
        return HtmlReport.render(result, Report.ROOFLINE, Report.ROUTING);
    }

    private static RoutingMap allToExpertZero(RoutingMap map) {
        float[] w = new float[map.weights().length];
        for (int t = 0; t < map.tokens(); t++) w[t * map.experts()] = 1;
        return new RoutingMap(map.tokens(), map.experts(), w);
    }

    private static BufferedImage decode(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image != null, png + " is not a readable image");
        return image;
    }

    /** Not blank: the luminance varies, and there are many distinct colours (text, lines, colour scale). */
    private static void assertDrawn(BufferedImage image) {
        double sum = 0, sumSq = 0;
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        int n = image.getWidth() * image.getHeight();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                colours.add(rgb & 0xffffff);
                double lum = 0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff);
                sum += lum;
                sumSq += lum * lum;
            }
        }
        double variance = sumSq / n - (sum / n) * (sum / n);
        assertTrue(variance > 100, "luminance variance " + variance);
        assertTrue(colours.size() > 50, colours.size() + " colours");
    }

    private static boolean samePixels(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) return false;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) if (a.getRGB(x, y) != b.getRGB(x, y)) return false;
        }
        return true;
    }
}
