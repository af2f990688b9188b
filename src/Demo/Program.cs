using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using GenSoftmax;
using GenSoftmax.App;
using GenSoftmax.Data;
using GenSoftmax.Persistence;

// gensoftmax: train, eval, predict, info and show. With no command it trains the fast recipe on Fashion-MNIST.
ProcessClock.MainStarted(); // train's time breakdown starts with the runtime's start-up, up to this line
var root = new RootCommand(
    "GenSoftmax: softmax regression with generated AVX-512/AVX2 kernels. With no command, trains (the options of 'train', listed by " +
    "'gensoftmax-cli train --help').\n\nExamples:\n" +
    "  gensoftmax-cli                                        fast recipe on Fashion-MNIST\n" +
    "  gensoftmax-cli train --recipe textbook --save m.gsm   the textbook's recipe, model saved\n" +
    "  gensoftmax-cli train --data my.csv --c auto           exact fit of your data, C chosen on held-out rows\n" +
    "  gensoftmax-cli eval m.gsm;  gensoftmax-cli predict m.gsm --wrong\n\n" +
    "Exit codes: 0 done, 1 failure while running, 2 bad input, 3 out of memory, 70 internal error, 130/143 interrupted (run saved).");
new TrainCommand().AddTo(root, hidden: true); // train is the default command: its options work here, and its help lists them
var train = new Command("train",
    "Train a softmax-regression classifier (default: the fast recipe on Fashion-MNIST; --recipe textbook for the textbook's).");
var trainOptions = new TrainCommand();
trainOptions.AddTo(train);
root.Subcommands.Add(train);
GroupedHelp.Use(root, train, trainOptions.Groups); // train's options under headings: data, model, recipe, ...
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ConvertCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(ShowCommand.Create());

// The runtime's warnings (Debug-built kernels, a CPU variant this binary was compiled without) as the app's one-line notes.
PerformanceWarnings.Issued += warning => Console.Error.WriteLine("warning: " + warning);

ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line, naming the first problem and where help is; never the whole help text.
    string command = parse.CommandResult.Command == root ? "gensoftmax-cli" : $"gensoftmax-cli {parse.CommandResult.Command.Name}";
    string? typo = parse.UnmatchedTokens.Select(t => Suggestions.For(t, parse.CommandResult.Command)).FirstOrDefault(s => s is not null);
    string hint = typo is null ? "" : $" Did you mean {typo}?";
    string more = parse.Errors.Count > 1 ? $" (and {parse.Errors.Count - 1} more)" : "";
    Console.Error.WriteLine($"error: {parse.Errors[0].Message.TrimEnd('.')}{more}.{hint} See '{command} --help'.");
    return AppError.Usage;
}

try
{
    // A hidden hook for the test that proves an internal error reaches exit 70: a bug of ours, made on purpose.
    if (Environment.GetEnvironmentVariable("GENSOFTMAX_TEST_FAULT") == "internal")
    {
        throw new InvalidOperationException("fault injected by GENSOFTMAX_TEST_FAULT=internal");
    }

    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (AppError e)
{
    return Fail(e.Message, e.ExitCode);
}
catch (DatasetNotFoundException e)
{
    return Fail(e.Message + " Name the directory with --data DIR.", AppError.Failure);
}
catch (ModelFileException e)
{
    return Fail(e.Message, AppError.Failure);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    return Fail(LibraryTerms.ForApp(e.Message), AppError.Failure);
}
catch (InsufficientExecutionStackException e)
{
    return Fail(e.Message, AppError.Failure);
}
catch (Exception e) when (e is DllNotFoundException || e.InnerException is DllNotFoundException)
{
    // SkiaSharp's native library draws --plot and show; `dotnet publish` puts it beside the binary.
    return Fail(
        "drawing pictures needs libSkiaSharp and libHarfBuzzSharp, which 'dotnet publish' puts beside gensoftmax-cli: " +
        $"keep them in the binary's directory ({(e.InnerException ?? e).Message})", AppError.Failure);
}
catch (OutOfMemoryException)
{
    return Fail(
        "out of memory: the data or model does not fit in the memory this process may use; use a smaller data set or raise the limit.",
        AppError.OutOfMemory);
}
catch (PlatformNotSupportedException e)
{
    return Fail(e.Message, AppError.Failure);
}
catch (Exception e)
{
    // Anything else is a bug of ours (a user's mistake is an AppError, checked before the work, or a library's own exception
    // above): still one line, with the exception's type so the report can name it, and its own exit code.
    return Fail($"unexpected {e.GetType().Name}: {e.Message} (please report this)", AppError.Internal);
}

static int Fail(string message, int code)
{
    // One line: a multi-line message from a library is joined, so scripts can grep it.
    Console.Error.WriteLine("error: " + message.ReplaceLineEndings(" ").Trim());
    return code;
}
