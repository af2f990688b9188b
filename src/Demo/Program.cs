using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using GenSoftmax;
using GenSoftmax.Data;
using GenSoftmax.Demo;
using GenSoftmax.IO;

// Trains the textbook recipe (Dive into Deep Learning, softmax regression from scratch) on Fashion-MNIST with the
// generated kernels: weights N(0, 0.01), bias 0, minibatch SGD, batch 256, learning rate 0.1, 10 epochs.
var epochs = new Option<int>("--epochs") { Description = "Passes over the 60,000 training images.", DefaultValueFactory = _ => 10 };
var batch = new Option<int>("--batch") { Description = "Minibatch size.", DefaultValueFactory = _ => 256 };
var rate = new Option<float>("--lr") { Description = "SGD learning rate.", DefaultValueFactory = _ => 0.1f };
var seed = new Option<int>("--seed") { Description = "Seed of the initial weights and the shuffles.", DefaultValueFactory = _ => 42 };
var threads = new Option<int>("--threads") { Description = "Threads sharing each minibatch (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
var input = new Option<string>("--input")
{
    Description = "uint8: the kernels read the raw pixels and scale them by 1/255 (47 MB per epoch); float32: train on a float copy scaled up front (188 MB per epoch), as the textbook does. Same math, same accuracy.",
    DefaultValueFactory = _ => "uint8",
};
input.AcceptOnlyFromAmong("uint8", "float32");
var isa = new Option<KernelIsa?>("--isa") { Description = "Kernel variant: Portable, Avx2 or Avx512 (default: the best this CPU runs)." };
var data = new Option<DirectoryInfo?>("--data") { Description = $"Directory with the four Fashion-MNIST IDX files (default: ${FashionMnist.EnvironmentVariable}, then {FashionMnist.DefaultDirectory})." };
var report = new Option<FileInfo?>("--report") { Description = "Write a JSON summary of the run to this file." };
var save = new Option<FileInfo?>("--save")
{
    Description = "After training, save the model, its class names and its training state to this file (a model file; --resume continues from it).",
};
var resume = new Option<FileInfo?>("--resume")
{
    Description = "Continue the run saved in this model file (by --save) until --epochs epochs are complete. Its batch size, learning rate, seed " +
        "and threads are used (giving a different value is an error); keep --input and --isa as they were for a bit-identical continuation.",
};
epochs.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--epochs must be at least 1."); });
batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--batch must be at least 1, such as 256."); });
rate.Validators.Add(r => { float v = r.GetValueOrDefault<float>(); if (!(v > 0) || float.IsInfinity(v)) r.AddError("--lr must be a positive number, such as 0.1."); });
threads.Validators.Add(r => { int v = r.GetValueOrDefault<int>(); if (v < 1 || v > 256) r.AddError("--threads must be between 1 and 256."); });

var root = new RootCommand("Train a softmax-regression classifier on Fashion-MNIST with GenSoftmax's generated kernels.")
{
    epochs, batch, rate, seed, threads, input, isa, data, report, save, resume,
};

root.SetAction(parse =>
{
    FashionClassifier model;
    try
    {
        model = new FashionClassifier();
    }
    catch (InvalidOperationException e)
    {
        // A bad GENSOFTMAX_ISA: the message names the valid values.
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }

    KernelIsa? requested = parse.GetValue(isa);
    if (requested is { } chosen)
    {
        if (!IsaSelection.IsSupported(chosen))
        {
            Console.Error.WriteLine($"error: this CPU cannot run the {chosen} kernels; it supports {string.Join(", ", IsaSelection.Supported)}.");
            return 2;
        }

        model.Isa = chosen;
    }

    // Every file this run will write is checked now, before minutes of training, not after.
    FileInfo? reportFile = parse.GetValue(report);
    FileInfo? saveFile = parse.GetValue(save);
    foreach ((FileInfo? file, string what) in new[] { (reportFile, "the report"), (saveFile, "the model") })
    {
        try
        {
            if (file is not null)
            {
                SafeFile.CheckTarget(file.FullName);
            }
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: cannot write {what}: {e.Message}");
            return 2;
        }
    }

    var options = new TrainerOptions
    {
        Epochs = parse.GetValue(epochs),
        BatchSize = parse.GetValue(batch),
        Optimizer = new SgdOptions { LearningRate = parse.GetValue(rate) },
        Seed = parse.GetValue(seed),
        Threads = parse.GetValue(threads),
    };

    TrainingState? resumeState = null;
    FileInfo? resumeFile = parse.GetValue(resume);
    if (resumeFile is not null)
    {
        ModelFileContents saved;
        try
        {
            saved = ModelFile.Load(resumeFile.FullName, model);
        }
        catch (ModelFileException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        if (saved.TrainerOptions is not { } savedOptions || saved.TrainingState is not { } state)
        {
            Console.Error.WriteLine(
                $"error: '{resumeFile.FullName}' holds a model but not the state of its training run, so the run cannot be continued; " +
                "train from the start, or resume from a file saved by --save.");
            return 2;
        }

        // The saved run's options decide its trajectory: an option given on the command line must agree with them.
        var conflicts = new List<string>();
        void Check<T>(Option<T> option, T value, T savedValue, string what)
        {
            if (parse.GetResult(option) is { Implicit: false } && !Equals(value, savedValue))
            {
                conflicts.Add($"{option.Name} {value} conflicts with the {what} of the saved run, {savedValue}");
            }
        }

        Check(batch, options.BatchSize, savedOptions.BatchSize, "batch size");
        Check(rate, options.Optimizer.LearningRate, savedOptions.Optimizer.LearningRate, "learning rate");
        Check(seed, options.Seed, savedOptions.Seed, "seed");
        Check(threads, options.Threads, savedOptions.Threads, "thread count");
        if (conflicts.Count > 0)
        {
            foreach (string conflict in conflicts)
            {
                Console.Error.WriteLine($"error: {conflict}.");
            }

            Console.Error.WriteLine($"A resumed run keeps the options it was saved with ('{resumeFile.FullName}'): leave those options out.");
            return 2;
        }

        if (options.Epochs <= state.CompletedEpochs && state.BatchesDone == 0)
        {
            Console.Error.WriteLine(
                $"error: the run saved in '{resumeFile.FullName}' has already completed {state.CompletedEpochs} epochs: " +
                $"pass --epochs {state.CompletedEpochs + 1} or more to continue it.");
            return 2;
        }

        options = savedOptions with { Epochs = Math.Max(options.Epochs, state.CompletedEpochs + 1) };
        resumeState = state;
        Console.WriteLine(
            $"Resuming '{resumeFile.FullName}': {state.CompletedEpochs} epochs done" +
            (state.BatchesDone > 0 ? $" and {state.BatchesDone} batches of epoch {state.CompletedEpochs + 1}" : "") + ".");
    }

    LabeledData train, test;
    try
    {
        var sw = Stopwatch.StartNew();
        (train, test) = FashionMnist.Load(parse.GetValue(data)?.FullName);
        Console.WriteLine($"Fashion-MNIST: {train.Count:N0} training and {test.Count:N0} test images of {train.ImageHeight}x{train.ImageWidth} ({sw.Elapsed.TotalSeconds:F2} s to load)");
    }
    catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        if (e is DatasetNotFoundException)
        {
            Console.Error.WriteLine("In this demo, --data DIR names the directory.");
        }

        return 1;
    }

    bool useBytes = parse.GetValue(input) == "uint8";
    if (!useBytes)
    {
        train = train.ToFeatures();
        test = test.ToFeatures();
    }

    Console.WriteLine(
        $"Model {FashionClassifier.InputCount}x{FashionClassifier.ClassCount}, kernels: {model.Isa} (best on this CPU: {IsaSelection.Best}), " +
        $"threads: {options.Threads}, input: {(useBytes ? "uint8 pixels" : "float32")}");
    Console.WriteLine($"SGD: batch {options.BatchSize}, learning rate {options.Optimizer.LearningRate}, {options.Epochs} epochs, seed {options.Seed}");
    Console.WriteLine("epoch  train loss  train acc  test acc  seconds");
    var trainer = new Trainer(model, options);
    if (resumeState is null)
    {
        trainer.Initialize();
    }
    else
    {
        trainer.RestoreState(resumeState);
    }

    // The test set is the validation set here, as in the textbook: its accuracy is reported after every epoch.
    IReadOnlyList<EpochReport> reports;
    try
    {
        reports = trainer.Fit(train, test, new EpochPrinter());
    }
    catch (InvalidOperationException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }

    double trainSeconds = 0;
    foreach (EpochReport r in reports)
    {
        trainSeconds += r.Seconds;
    }

    double finalAccuracy = reports[^1].ValidationAccuracy;
    Console.WriteLine($"Test accuracy after {trainer.CompletedEpochs} epochs: {finalAccuracy:F4} (training took {trainSeconds:F2} s)");

    if (saveFile is not null)
    {
        try
        {
            ModelFile.Save(saveFile.FullName, trainer, FashionMnist.ClassNames);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: cannot save the model: {e.Message}");
            return 1;
        }

        Console.WriteLine($"Model saved to {saveFile.FullName} (continue the run with --resume)");
    }

    if (reportFile is not null)
    {
        // Written whole, then moved into place: an interrupted run never leaves half a report over a good one.
        try
        {
            SafeFile.Write(reportFile.FullName, WriteReport);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"error: cannot write the report: {e.Message}");
            return 1;
        }

        Console.WriteLine($"Report written to {reportFile.FullName}");
    }

    return 0;

    void WriteReport(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("isa", model.Isa.ToString());
        json.WriteNumber("threads", options.Threads);
        json.WriteString("input", useBytes ? "uint8" : "float32");
        json.WriteNumber("batch_size", options.BatchSize);
        json.WriteNumber("learning_rate", options.Optimizer.LearningRate);
        json.WriteNumber("seed", options.Seed);
        json.WriteStartArray("epochs");
        foreach (EpochReport r in reports)
        {
            json.WriteStartObject();
            json.WriteNumber("epoch", r.Epoch);
            json.WriteNumber("train_loss", r.TrainLoss);
            json.WriteNumber("train_accuracy", r.TrainAccuracy);
            json.WriteNumber("test_accuracy", r.ValidationAccuracy);
            json.WriteNumber("seconds", r.Seconds);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("test_accuracy", finalAccuracy);
        json.WriteNumber("train_seconds", trainSeconds);
        json.WriteEndObject();
    }
});

return root.Parse(args).Invoke();

/// <summary>Prints one line per epoch, on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class EpochPrinter : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        if (value.EpochCompleted is { } r)
        {
            Console.WriteLine($"{r.Epoch,5}  {r.TrainLoss,10:F4}  {r.TrainAccuracy,9:F4}  {r.ValidationAccuracy,8:F4}  {r.Seconds,7:F3}");
        }
    }
}
