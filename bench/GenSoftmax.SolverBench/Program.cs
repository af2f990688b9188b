using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using GenSoftmax;
using GenSoftmax.Data;
using GenSoftmax.Training;

// Fits Fashion-MNIST (uint8 pixels, 1/255 in the kernels) with an exact solver at C until the objective is at most each
// target (scikit-learn's objectives), printing for each the iterations, passes and seconds to reach it, then the test
// accuracy. Arguments: [lbfgs|newton] C threads max-iterations target1 [target2 ...]  (a target of 0 runs to the
// iteration limit; the solver is L-BFGS unless named).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
bool newton = args.Length > 0 && args[0] == "newton";
if (args.Length > 0 && args[0] is "newton" or "lbfgs")
{
    args = args[1..];
}

double c = double.Parse(args[0], CultureInfo.InvariantCulture);
int threads = int.Parse(args[1], CultureInfo.InvariantCulture);
int maxIterations = int.Parse(args[2], CultureInfo.InvariantCulture);
double[] targets = args[3..].Select(a => double.Parse(a, CultureInfo.InvariantCulture)).OrderDescending().ToArray();

(LabeledData train, LabeledData test) = FashionMnist.Load();
var model = new SolverBenchModel();
var clock = Stopwatch.StartNew();
int next = 0;
var progress = new Reporter(p =>
{
    while (next < targets.Length && p.Objective <= targets[next])
    {
        Console.WriteLine(
            $"target {targets[next]:R}: reached at iteration {p.Iteration}, {p.Passes} passes ({p.HessianProducts} Hessian products), " +
            $"{clock.Elapsed.TotalSeconds:F3} s ({clock.Elapsed.TotalMilliseconds / p.Passes:F2} ms a pass), objective {p.Objective:R}");
        next++;
    }
});
var options = new LbfgsOptions { C = c, Tolerance = 1e-30, MaxIterations = maxIterations, Threads = threads };
SolverResult result = newton ? NewtonSolver.Fit(model, train, options, progress) : LbfgsSolver.Fit(model, train, options, progress);
Console.WriteLine(
    $"end ({(newton ? "newton" : "lbfgs")}): {result.Stop} after {result.Iterations} iterations, {result.Passes} passes " +
    $"({result.HessianProducts} Hessian products), {result.Seconds:F3} s ({result.Seconds * 1000 / result.Passes:F2} ms a pass), " +
    $"objective {result.Objective:R}, gradient {result.GradientNorm:G3}");
Console.WriteLine($"test accuracy {Trainer.Accuracy(model, test):F4}");

[SoftmaxModel(Inputs = 784, Classes = 10)]
internal sealed partial class SolverBenchModel;

/// <summary>Reports synchronously on the solver's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class Reporter(Action<SolverProgress> report) : IProgress<SolverProgress>
{
    public void Report(SolverProgress value) => report(value);
}
