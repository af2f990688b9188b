using System;
using System.Collections.Generic;
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
                throw new AppError($"{option} '{path}': the file name must end in .png{(svgAllowed ? " or .svg" : "")}, which chooses the format.");
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
            Write(plot, path);
        }

        /// <summary>
        /// The C search of --c auto: held-out loss and accuracy against log10 C, the chosen C marked by a vertical line.
        /// </summary>
        public static void CCurve(string path, CSearchResult search, string title)
        {
            var plot = new Plot();
            double[] x = search.Curve.Select(p => Math.Log10(p.C)).ToArray();
            var loss = plot.Add.Scatter(x, search.Curve.Select(p => p.HeldOutLoss).ToArray());
            loss.LegendText = "held-out loss";
            var accuracy = plot.Add.Scatter(x, search.Curve.Select(p => p.HeldOutAccuracy).ToArray());
            accuracy.LegendText = "held-out acc";
            accuracy.MarkerShape = MarkerShape.FilledSquare;
            var best = plot.Add.VerticalLine(Math.Log10(search.BestC));
            best.LegendText = $"best C {search.BestC:G3}";
            plot.Title(title);
            plot.XLabel("log10 C");
            plot.ShowLegend(Edge.Right);
            plot.Axes.SetLimitsY(0, Math.Max(1.0, search.Curve.Max(p => double.IsFinite(p.HeldOutLoss) ? p.HeldOutLoss : 0) * 1.05));
            Write(plot, path);
        }

        /// <summary>The plot as SVG or PNG by the file name's extension, written atomically.</summary>
        private static void Write(Plot plot, string path)
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
            const int scale = 3, pad = 6, captionHeight = 18;
            int h = data.ImageHeight, w = data.ImageWidth;
            int cellW = Math.Max(w * scale, 90), cellH = h * scale + captionHeight;
            int gridRows = (rows.Count + columns - 1) / columns;
            using var bitmap = new SKBitmap(columns * (cellW + pad) + pad, gridRows * (cellH + pad) + pad, SKColorType.Rgba8888, SKAlphaType.Premul);
            using (var canvas = new SKCanvas(bitmap))
            using (var font = new SKFont(SKTypeface.Default, 12))
            using (var text = new SKPaint { Color = SKColors.Black, IsAntialias = true })
            {
                canvas.Clear(SKColors.White);
                for (int i = 0; i < rows.Count; i++)
                {
                    int x0 = pad + (i % columns) * (cellW + pad), y0 = pad + (i / columns) * (cellH + pad);
                    int left = x0 + (cellW - w * scale) / 2;
                    ReadOnlySpan<byte> image = data.Image(rows[i]);
                    using var pixels = new SKBitmap(w, h, SKColorType.Gray8, SKAlphaType.Opaque);
                    unsafe
                    {
                        byte* dst = (byte*)pixels.GetPixels();
                        for (int r = 0; r < h; r++)
                        {
                            for (int c = 0; c < w; c++)
                            {
                                // Ink dark on white paper, as the textbook's greyscale plots show clothing.
                                dst[r * pixels.RowBytes + c] = (byte)(255 - image[r * w + c]);
                            }
                        }
                    }

                    using SKImage picture = SKImage.FromBitmap(pixels);
                    canvas.DrawImage(picture, SKRect.Create(left, y0, w * scale, h * scale), new SKSamplingOptions(SKFilterMode.Nearest));
                    string label = caption(rows[i]);
                    float textWidth = font.MeasureText(label, text);
                    canvas.DrawText(label, x0 + Math.Max(0, (cellW - textWidth) / 2), y0 + h * scale + captionHeight - 4, SKTextAlign.Left, font, text);
                }
            }

            using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            SafeFile.Write(path, s => png.SaveTo(s));
        }
    }
}
