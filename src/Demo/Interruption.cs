using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace GenSoftmax.App
{
    /// <summary>
    /// Turns the first SIGINT, SIGTERM or SIGHUP (a closed terminal or SSH session) into a cancellation. While this lives,
    /// later signals are ignored: a second Ctrl+C must not end the process while the interrupted run is being saved.
    /// </summary>
    internal sealed class Interruption : IDisposable
    {
        private readonly CancellationTokenSource _source = new();
        private readonly PosixSignalRegistration _int;
        private readonly PosixSignalRegistration _term;
        private readonly PosixSignalRegistration _hup;
        private readonly object _gate = new();
        private PosixSignal? _signal;

        public Interruption()
        {
            _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
            _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
            _hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Handle);
        }

        /// <summary>The exit code of a run ended by <paramref name="signal"/>: 128 + its number, as a shell reports it.</summary>
        public static int ExitCode(PosixSignal signal) => signal switch
        {
            PosixSignal.SIGINT => 130,
            PosixSignal.SIGHUP => 129,
            _ => 143,
        };

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
            _hup.Dispose();
            _source.Dispose();
        }

        private void Handle(PosixSignalContext context)
        {
            context.Cancel = true; // every signal: the first cancels training, the later ones would cut its save short
            lock (_gate)
            {
                if (_signal is not null)
                {
                    return;
                }

                _signal = context.Signal;
            }

            _source.Cancel();
        }
    }
}
