package io.moe4j.bench.report;

import io.moe4j.bench.BenchResult;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * {@code moe4j bench --report DIR}: a folder with a roofline plot, a routing heatmap and a page that shows both
 * with the table. Open {@code index.html} in a browser; the page needs only the two PNGs beside it.
 */
public final class Report {
    public static final String INDEX = "index.html";
    public static final String ROOFLINE = "roofline.png";
    public static final String ROUTING = "routing.png";

    private Report() {}

    /**
     * Writes {@value #ROOFLINE}, {@value #ROUTING} (when a row recorded its routing) and {@value #INDEX} into
     * {@code dir}, creating it and its parents as needed and replacing earlier report files there. Everything is
     * drawn before the folder is touched, and the page is written after the pictures it shows.
     *
     * @return the page's path
     * @throws IOException with a message naming the path when the folder cannot be created or written
     * @throws IllegalArgumentException when the machine limits are not positive, so no roofline can be drawn
     */
    public static Path write(Path dir, BenchResult result) throws IOException {
        Headless.ensure();
        BufferedImage roofline = RooflinePlot.render(result);
        BufferedImage routing = RoutingHeatmap.panelRows(result.rows()).isEmpty() ? null : RoutingHeatmap.render(result);
        String html = HtmlReport.render(result, ROOFLINE, routing != null ? ROUTING : null);

        prepare(dir);
        writePng(dir.resolve(ROOFLINE), roofline);
        Path routingFile = dir.resolve(ROUTING);
        if (routing != null) {
            writePng(routingFile, routing);
        } else {
            // A heatmap left from an earlier run in the same folder would describe a different run.
            delete(routingFile);
        }
        Path index = dir.resolve(INDEX);
        try {
            Files.writeString(index, html, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw failure("cannot write " + index, e);
        }
        return index;
    }

    private static void prepare(Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("cannot write the report to " + dir + ": it is a file, not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw failure("cannot create the report directory " + dir, e);
        }
        if (!Files.isWritable(dir)) {
            throw new IOException("cannot write the report to " + dir + ": permission denied");
        }
    }

    private static void writePng(Path file, BufferedImage image) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            if (!ImageIO.write(image, "png", out)) throw new IOException("this Java runtime has no PNG writer");
        } catch (IOException e) {
            throw failure("cannot write " + file, e);
        }
    }

    private static void delete(Path file) throws IOException {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw failure("cannot remove the old " + file, e);
        }
    }

    /** "cannot write /x/y.png: permission denied": what failed and why, without Java's exception names. */
    private static IOException failure(String what, IOException cause) {
        String why = switch (cause) {
            case AccessDeniedException e -> "permission denied";
            case NoSuchFileException e -> "no such file or directory: " + e.getFile();
            case NotDirectoryException e -> "not a directory: " + e.getFile();
            case FileAlreadyExistsException e -> "a file is in the way: " + e.getFile();
            case FileSystemException e when e.getReason() != null -> e.getReason().toLowerCase(java.util.Locale.ROOT)
                    + (e.getFile() != null ? ": " + e.getFile() : "");
            default -> cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        };
        return new IOException(what + ": " + why, cause);
    }
}
