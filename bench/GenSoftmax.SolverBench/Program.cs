using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using GenSoftmax;
using GenSoftmax.Data;
using GenSoftmax.Training;

// Fits Fashion-MNIST (uint8 pixels, 1/255 in the kernels), or the linear-probe data of bench/solver/linear-probe-data.py
// (--data DIR: float32 features), with an exact solver at C until the objective is at most each target (scikit-learn's
// objectives), printing for each the iterations, passes and seconds to reach it, then the test accuracy; the run stops at the
// last target. With --search, LbfgsSolver.SearchC's C search on its default grid instead (the C and targets are ignored).
// --plain turns L-BFGS's preconditioner off (LbfgsOptions.Precondition = false: scikit-learn's plain L-BFGS).
// Arguments: [lbfgs|newton] [--data DIR] [--search] [--plain] C threads max-iterations [target1 target2 ...]
// (no target runs to the iteration limit; the solver is L-BFGS unless named).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
bool newton = args.Contains("newton");
bool search = args.Contains("--search");
bool plain = args.Contains("--plain");
int dataAt = Array.IndexOf(args, "--data");
string? directory = dataAt >= 0 ? args[dataAt + 1] : null;
string[] rest = args.Where((a, i) => a is not ("newton" or "lbfgs" or "--search" or "--plain" or "--data") && (dataAt < 0 || i != dataAt + 1)).ToArray();
double c = double.Parse(rest[0], CultureInfo.InvariantCulture);
int threads = int.Parse(rest[1], CultureInfo.InvariantCulture);
int maxIterations = int.Parse(rest[2], CultureInfo.InvariantCulture);
double[] targets = rest[3..].Select(a => double.Parse(a, CultureInfo.InvariantCulture)).OrderDescending().ToArray();

(LabeledData train, LabeledData test) = directory is null
    ? FashionMnist.Load()
    : (NpyReader.Read(Path.Combine(directory, "train-features.npy"), Path.Combine(directory, "train-labels.npy")),
       NpyReader.Read(Path.Combine(directory, "test-features.npy"), Path.Combine(directory, "test-labels.npy")));
ISoftmaxModel model = directory is null ? new SolverBenchModel()
    : train.Inputs == 768 && Classes(train) == 100 ? new ProbeModel() : new RuntimeSoftmaxModel(train.Inputs, Classes(train));
Console.WriteLine(
    $"{(directory ?? "Fashion-MNIST")}: {train.Count} x {train.Inputs}, {Classes(train)} classes, model {model.GetType().Name}");
var clock = Stopwatch.StartNew();
if (search)
{
    var options = new CSearchOptions { Solver = new LbfgsOptions { Threads = threads, MaxIterations = maxIterations, Precondition = !plain } };
    CSearchResult result = LbfgsSolver.SearchC(model, train, options, new Reporter<CSearchPoint>(p => Console.WriteLine(
        $"C {p.C:G3}: held-out loss {p.HeldOutLoss:F5}, accuracy {p.HeldOutAccuracy:F4}, {p.Result.Iterations} iterations, " +
        $"{p.Result.Passes} passes, {clock.Elapsed.TotalSeconds:F2} s")));
    Console.WriteLine(
        $"search: best C {result.BestC:G3}, refit {result.Final.Stop} after {result.Final.Iterations} iterations, " +
        $"{clock.Elapsed.TotalSeconds:F2} s in all, objective {result.Final.Objective:R}");
    Console.WriteLine($"test accuracy {Trainer.Accuracy(model, test):F4}");
    return;
}

using var reached = new CancellationTokenSource();
int next = 0;
var progress = new Reporter<SolverProgress>(p =>
{
    while (next < targets.Length && p.Objective <= targets[next])
    {
        Console.WriteLine(
            $"target {targets[next]:R}: reached at iteration {p.Iteration}, {p.Passes} passes ({p.HessianProducts} Hessian products), " +
            $"{clock.Elapsed.TotalSeconds:F3} s ({clock.Elapsed.TotalMilliseconds / p.Passes:F2} ms a pass), objective {p.Objective:R}");
        next++;
    }

    if (targets.Length > 0 && next == targets.Length)
    {
        reached.Cancel();
    }
});
var solverOptions = new LbfgsOptions { C = c, Tolerance = 1e-30, MaxIterations = maxIterations, Threads = threads, Precondition = !plain };
try
{
    SolverResult result = newton
        ? NewtonSolver.Fit(model, train, solverOptions, progress, reached.Token)
        : LbfgsSolver.Fit(model, train, solverOptions, progress, reached.Token);
    Console.WriteLine(
        $"end ({(newton ? "newton" : "lbfgs")}): {result.Stop} after {result.Iterations} iterations, {result.Passes} passes " +
        $"({result.HessianProducts} Hessian products), {result.Seconds:F3} s ({result.Seconds * 1000 / result.Passes:F2} ms a pass), " +
        $"objective {result.Objective:R}, gradient {result.GradientNorm:G3}");
}
catch (OperationCanceledException)
{
    Console.WriteLine($"end ({(newton ? "newton" : "lbfgs")}): every target reached");
}

Console.WriteLine($"test accuracy {Trainer.Accuracy(model, test):F4}");

static int Classes(LabeledData data) => data.Labels.Max() + 1;

[SoftmaxModel(Inputs = 784, Classes = 10)]
internal sealed partial class SolverBenchModel;

[SoftmaxModel(Inputs = 768, Classes = 100)]
internal sealed partial class ProbeModel;

/// <summary>Reports synchronously on the solver's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class Reporter<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
