using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading;
using GenSoftmax.Hypercomplex;
using GenSoftmax.IO;
using GenSoftmax.Persistence;
using GenSoftmax.Training;


namespace GenSoftmax.App
{
    /// <summary>Ctrl+C and SIGTERM during training: the run is saved to resume.</summary>
    internal sealed partial class TrainCommand
    {
        /// <summary>Turns the first SIGINT or SIGTERM into a cancellation (a second one ends the process as usual).</summary>
        private sealed class Interruption : IDisposable
        {
            private readonly CancellationTokenSource _source = new();
            private readonly PosixSignalRegistration _int;
            private readonly PosixSignalRegistration _term;
            private readonly object _gate = new();
            private PosixSignal? _signal;

            public Interruption()
            {
                _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
                _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
            }

            public CancellationToken Token => _source.Token;

            public PosixSignal? Signal
            {
                get
                {
                    lock (_gate)
                    {
                        return _signal;
                    }
                }
            }

            public void Dispose()
            {
                _int.Dispose();
                _term.Dispose();
                _source.Dispose();
            }

            private void Handle(PosixSignalContext context)
            {
                lock (_gate)
                {
                    if (_signal is not null)
                    {
                        return;
                    }

                    _signal = context.Signal;
                }

                context.Cancel = true;
                _source.Cancel();
            }
        }
    }
}
