using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using GenSoftmax.IO;
using GenSoftmax.Training;
using ScottPlot;
using SkiaSharp;

namespace GenSoftmax.App
{
    /// <summary>The learning-curve plot (ScottPlot) and the grid of sample images (SkiaSharp), written atomically.</summary>
    internal static class Pictures
    {
        /// <summary>Checks that <paramref name="path"/> names a picture format we write: .svg or .png.</summary>
        public static void CheckExtension(string path, string option, bool svgAllowed)
        {
            string ext = Path.GetExtension(path).ToLowerInvariant();
            if (ext != ".png" && !(svgAllowed && ext == ".svg"))
            {
                throw new AppError($"{option} '{path}': the file name must end in .png{(svgAllowed ? " or .svg" : "")}, which chooses " +
                    $"the format.");
            }
        }

        /// <summary>Train loss, train accuracy and validation (or test) accuracy per epoch, as in the textbook's animated plot.</summary>
        public static void LearningCurves(string path, IReadOnlyList<EpochReport> epochs, string validationName, string title)
        {
            var plot = new Plot();
            double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
            var loss = plot.Add.Scatter(x, epochs.Select(e => e.TrainLoss).ToArray());
            loss.LegendText = "train loss";
            var trainAcc = plot.Add.Scatter(x, epochs.Select(e => e.TrainAccuracy).ToArray());
            trainAcc.LegendText = "train acc";
            trainAcc.MarkerShape = MarkerShape.FilledSquare; // markers, not dash patterns: Skia's SVG writer cannot draw those
            if (epochs.All(e => !double.IsNaN(e.ValidationAccuracy)))
            {
                var valAcc = plot.Add.Scatter(x, epochs.Select(e => e.ValidationAccuracy).ToArray());
                valAcc.LegendText = validationName + " acc";
                valAcc.MarkerShape = MarkerShape.FilledTriangleUp;
            }

            plot.Title(title);
            plot.XLabel("epoch");
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            plot.ShowLegend(Edge.Right);
            plot.Axes.SetLimitsY(0, Math.Max(1.0, epochs.Max(e => double.IsFinite(e.TrainLoss) ? e.TrainLoss : 0) * 1.05));
            Write(path, plot);
        }

        /// <summary>
        /// <c>--c auto</c>'s search: held-out loss and accuracy against log10 C, the chosen C marked (the curve scikit-learn's
        /// LogisticRegressionCV leaves for the user to draw).
        /// </summary>
        public static void CCurve(string path, CSearchResult search, string title)
        {
            var plot = new Plot();
            CSearchPoint[] points = [.. search.Curve.OrderBy(p => p.C)];
            double[] x = points.Select(p => Math.Log10(p.C)).ToArray();
            var loss = plot.Add.Scatter(x, points.Select(p => p.HeldOutLoss).ToArray());
            loss.LegendText = "held-out loss";
            var accuracy = plot.Add.Scatter(x, points.Select(p => p.HeldOutAccuracy).ToArray());
            accuracy.LegendText = "held-out acc";
            accuracy.MarkerShape = MarkerShape.FilledSquare;
            var best = plot.Add.VerticalLine(Math.Log10(search.BestC));
            best.LegendText = string.Create(CultureInfo.InvariantCulture, $"chosen C = {search.BestC:G4}");
            plot.Title(title);
            plot.XLabel("log10 C (inverse L2 strength)");
            plot.ShowLegend(Edge.Right);
            plot.Axes.SetLimitsY(0, Math.Max(1.0, points.Max(p => double.IsFinite(p.HeldOutLoss) ? p.HeldOutLoss : 0) * 1.05));
            Write(path, plot);
        }

        /// <summary>The plot as SVG or PNG by the file's extension, written atomically.</summary>
        private static void Write(string path, Plot plot)
        {
            const int width = 640, height = 420;
            if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
            {
                string svg = plot.GetSvgXml(width, height);
                SafeFile.Write(path, s =>
                {
                    using var writer = new StreamWriter(s, leaveOpen: true);
                    writer.Write(svg);
                });
            }
            else
            {
                byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
                SafeFile.Write(path, s => s.Write(png));
            }
        }

        /// <summary>A grid of images, each with its caption beneath, like the textbook's show_images.</summary>
        public static void ImageGrid(string path, LabeledData data, IReadOnlyList<int> rows, Func<int, string> caption, int columns)
        {
            int h = data.ImageHeight, w = data.ImageWidth;
            Grid(path, rows.Count, h, w, columns, i => caption(rows[i]), (i, pixels) =>
            {
                // Ink dark on white paper, as the textbook's greyscale plots show clothing.
                ReadOnlySpan<byte> image = data.Image(rows[i]);
                for (int k = 0; k < pixels.Length; k++)
                {
                    byte v = (byte)(255 - image[k]);
                    pixels[k] = new SKColor(v, v, v);
                }
            });
        }

        /// <summary>
        /// Each class's row of W [classes, h * w] as an h x w image with its name beneath: red where a bright pixel raises the
        /// class's logit, blue where it lowers it, white at 0, on one colour scale for all (the largest |weight|).
        /// </summary>
        public static void WeightGrid(string path, float[] weights, int h, int w, IReadOnlyList<string> names, int columns)
        {
            float largest = 0;
            foreach (float v in weights)
            {
                largest = Math.Max(largest, Math.Abs(v));
            }

            float scale = largest > 0 ? 1 / largest : 0;
            Grid(path, names.Count, h, w, columns, c => names[c], (c, pixels) =>
            {
                ReadOnlySpan<float> row = weights.AsSpan(c * h * w, h * w);
                for (int k = 0; k < pixels.Length; k++)
                {
                    float t = Math.Clamp(row[k] * scale, -1f, 1f);
                    byte fade = (byte)MathF.Round(255 * (1 - Math.Abs(t)));
                    pixels[k] = t >= 0 ? new SKColor(255, fade, fade) : new SKColor(fade, fade, 255);
                }
            });
        }

        /// <summary>The grid both pictures share: <paramref name="count"/> cells of an h x w image drawn by <paramref
        /// name="draw"/>.</summary>
        private static void Grid(string path, int count, int h, int w, int columns, Func<int, string> caption, Action<int,
            Span<SKColor>> draw)
        {
            const int scale = 3, pad = 6, captionHeight = 18;
            int cellW = Math.Max(w * scale, 90), cellH = h * scale + captionHeight;
            int gridRows = (count + columns - 1) / columns;
            using var bitmap = new SKBitmap(columns * (cellW + pad) + pad, gridRows * (cellH + pad) + pad, SKColorType.Rgba8888,
                SKAlphaType.Premul);
            var colors = new SKColor[h * w];
            using (var canvas = new SKCanvas(bitmap))
            using (var font = new SKFont(SKTypeface.Default, 12))
            using (var text = new SKPaint { Color = SKColors.Black, IsAntialias = true })
            {
                canvas.Clear(SKColors.White);
                for (int i = 0; i < count; i++)
                {
                    int x0 = pad + (i % columns) * (cellW + pad), y0 = pad + (i / columns) * (cellH + pad);
                    int left = x0 + (cellW - w * scale) / 2;
                    draw(i, colors);
                    using var pixels = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque) { Pixels = colors };
                    using SKImage picture = SKImage.FromBitmap(pixels);
                    canvas.DrawImage(picture, SKRect.Create(left, y0, w * scale, h * scale), new SKSamplingOptions(SKFilterMode.Nearest));
                    string label = caption(i);
                    float textWidth = font.MeasureText(label, text);
                    canvas.DrawText(label, x0 + Math.Max(0, (cellW - textWidth) / 2), y0 + h * scale + captionHeight - 4, SKTextAlign.Left,
                        font, text);
                }
            }

            using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            SafeFile.Write(path, s => png.SaveTo(s));
        }
    }
}
