import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Ctrl-C in an interactive session: a request, never an exit.
///
/// A person at the shell presses Ctrl-C to take back a line they are typing
/// or to stop a long `fill` or `scan`, as in sqlite3 or a POSIX shell. The
/// handler only sets a flag (the one thing a signal handler may safely do);
/// the line reader checks it while it waits for a key, and long commands
/// check it between writes, so the database is never left half-way through
/// an operation. Pipes and scripts keep the default: Ctrl-C ends them.
public enum Interrupt {
  /// Makes SIGINT set the flag instead of ending the process.
  public static func install() {
    var action = sigaction()
    #if canImport(Glibc)
      action.__sigaction_handler.sa_handler = interruptHandler
    #else
      action.__sigaction_u.__sa_handler = interruptHandler
    #endif
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0  // no SA_RESTART: a blocked poll(2) returns at once
    sigaction(SIGINT, &action, nil)
    // A parent may have started us with SIGINT blocked (a test runner, a
    // job-control shell); blocked, it would never arrive.
    var unblock = sigset_t()
    sigemptyset(&unblock)
    sigaddset(&unblock, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    isInstalled.store(true, ordering: .relaxed)
  }

  /// Whether Ctrl-C was pressed since the last call; clears the flag.
  public static func take() -> Bool {
    pressed.exchange(false, ordering: .relaxed)
  }

  /// Whether the handler is installed (an interactive session).
  public static var isEnabled: Bool { isInstalled.load(ordering: .relaxed) }
}

private let pressed = Atomic<Bool>(false)
private let isInstalled = Atomic<Bool>(false)

private let interruptHandler: @convention(c) (Int32) -> Void = { _ in
  pressed.store(true, ordering: .relaxed)
}
