using System;
using System.Diagnostics;
using System.Runtime;
using System.Linq;
using System.Threading;
using GenSoftmax;
using GenSoftmax.Training;

// Trains the textbook recipe (batch 256, learning rate 0.1) in a fresh process and prints, per epoch, the wall time
// and what the JIT did during it (methods compiled, time spent compiling), then the totals. Arguments:
//   [epochs (10)] [threads (all cores)] [uint8|float32 (uint8)] [generated|runtime (generated)] [jitlog]
// jitlog: after the first epoch, the methods the JIT compiled during it, longest first (runtime JIT events), each with
//   its start and end in ms from the start of training and the thread that compiled it (main, or the OS thread id).
if (args is ["jit"])
{
    JitCost.Print();
    return;
}

using JitLog? jitLog = args.Contains("jitlog") ? new JitLog() : null;

int epochs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10;
int threads = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
bool floats = args.Length > 2 && args[2] == "float32";
bool runtimeShaped = args.Length > 3 && args[3] == "runtime";

var process = Stopwatch.StartNew();
(LabeledData train, LabeledData test) = GenSoftmax.Data.FashionMnist.Load();
if (floats)
{
    train = train.ToFeatures();
    test = test.ToFeatures();
}

double loadMs = process.Elapsed.TotalMilliseconds;
ISoftmaxModel model = runtimeShaped ? new RuntimeSoftmaxModel(784, 10) : new ColdStartModel();
var trainer = new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = epochs, Threads = threads, Optimizer = new SgdOptions { LearningRate = 0.1f } });
trainer.Initialize();
Console.WriteLine($"{model}, threads {threads}, {(floats ? "float32" : "uint8")}, dynamic code {System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled}");
Console.WriteLine($"epoch      ms  jit methods  jit ms  test acc  (methods before: {JitInfo.GetCompiledMethodCount()})");
long methods = JitInfo.GetCompiledMethodCount();
TimeSpan jit = JitInfo.GetCompilationTime();
var epoch = Stopwatch.StartNew();
var trainTime = Stopwatch.StartNew();
jitLog?.Start();
trainer.Fit(train, test, new Reporter(r =>
{
    long m = JitInfo.GetCompiledMethodCount();
    TimeSpan j = JitInfo.GetCompilationTime();
    Console.WriteLine($"{r.Epoch,5}  {epoch.Elapsed.TotalMilliseconds,6:F1}  {m - methods,11}  {(j - jit).TotalMilliseconds,6:F1}  {r.ValidationAccuracy,8:F4}  {m,6}");
    if (r.Epoch == 1 && jitLog is not null)
    {
        jitLog.PrintSince(epoch.Elapsed);
    }

    methods = m;
    jit = j;
    epoch.Restart();
}));
Console.WriteLine($"load {loadMs:F0} ms, train {trainTime.Elapsed.TotalMilliseconds:F0} ms, process {process.Elapsed.TotalMilliseconds:F0} ms");

/// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class Reporter(Action<EpochReport> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        if (value.EpochCompleted is { } r)
        {
            report(r);
        }
    }
}

[SoftmaxModel(Inputs = 784, Classes = 10)]
internal sealed partial class ColdStartModel;

/// <summary>`jit`: compiles each generated kernel alone and prints what its compilation cost, before any training.</summary>
internal static class JitCost
{
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "A JIT-only look at the kernels; native AOT has nothing to compile.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2065", Justification = "A JIT-only look at the kernels; native AOT has nothing to compile.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "A JIT-only look at the kernels; native AOT has nothing to compile.")]
    public static void Print()
    {
        foreach (Type type in typeof(ColdStartModel).Assembly.GetTypes())
        {
            if (type.Namespace?.StartsWith("GenSoftmax.Generated", StringComparison.Ordinal) != true)
            {
                continue;
            }

            foreach (System.Reflection.MethodInfo method in type.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
            {
                if (method.IsGenericMethodDefinition)
                {
                    continue;
                }

                TimeSpan before = JitInfo.GetCompilationTime(currentThread: true);
                System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
                TimeSpan cost = JitInfo.GetCompilationTime(currentThread: true) - before;
                Console.WriteLine($"{type.Namespace?.Split('.')[^1],-9} {method.Name,-14} {cost.TotalMilliseconds,7:F2} ms");
            }
        }
    }
}

/// <summary>
/// The JIT's MethodJittingStarted and MethodLoadVerbose events (keyword 0x10) through an EventListener: each method's
/// compilation time as the difference of their time stamps (the listener's own cost included, so read the order).
/// </summary>
internal sealed class JitLog : System.Diagnostics.Tracing.EventListener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, DateTime> _started = new();
    private readonly System.Collections.Concurrent.ConcurrentBag<(DateTime At, double Ms, string Name)> _done = new();
    private DateTime _from = DateTime.MaxValue;

    public void Start() => _from = DateTime.UtcNow;

    public void PrintSince(TimeSpan epoch)
    {
        Thread.Sleep(500); // the listener's events arrive on their own thread
        DateTime to = _from + epoch;
        var list = _done.Where(d => d.At >= _from && d.At <= to).OrderByDescending(d => d.Ms).ToList();
        Console.WriteLine($"  JIT in epoch 1 by the events: {list.Count} methods, {list.Sum(d => d.Ms):F1} ms (of {_done.Count} seen; {_from:O} {_done.Select(d => d.At).DefaultIfEmpty().Min():O})");
        foreach (var (_, ms, name) in list.Take(Environment.GetEnvironmentVariable("JITLOG_ALL") is null ? 25 : 1000))
        {
            Console.WriteLine($"  {ms,6:F2} ms  {name}");
        }
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x10);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (e.Payload is null || e.PayloadNames is null || (e.EventId != 143 && e.EventId != 145))
        {
            return;
        }

        ulong id = Convert.ToUInt64(e.Payload[e.PayloadNames.IndexOf("MethodID")], System.Globalization.CultureInfo.InvariantCulture);
        if (e.EventId == 145)
        {
            _started[id] = e.TimeStamp.ToUniversalTime();
        }
        else if (_started.TryRemove(id, out DateTime start))
        {
            int flags = e.PayloadNames.IndexOf("MethodFlags") is int f and >= 0 ? Convert.ToInt32(e.Payload[f], System.Globalization.CultureInfo.InvariantCulture) : 0;
            string tier = ((flags >> 7) & 7) switch { 1 => "minopts", 2 => "optimized", 3 => "tier0", 4 => "tier1", 5 => "osr", 6 => "tier0-instr", 7 => "tier1-instr", var t => $"tier {t}" };
            int size = e.PayloadNames.IndexOf("MethodSize") is int z and >= 0 ? Convert.ToInt32(e.Payload[z], System.Globalization.CultureInfo.InvariantCulture) : 0;
            string thread = e.OSThreadId == Environment.ProcessId ? "main" : $"t{e.OSThreadId}";
            string name = $"{tier,-10} {size,6} B  {thread,-8} {e.Payload[e.PayloadNames.IndexOf("MethodNamespace")]}::{e.Payload[e.PayloadNames.IndexOf("MethodName")]}";
            DateTime end = e.TimeStamp.ToUniversalTime();
            _done.Add((end, (end - start).TotalMilliseconds, $"{(start - _from).TotalMilliseconds,7:F2}-{(end - _from).TotalMilliseconds,7:F2} {name}"));
        }
    }
}
