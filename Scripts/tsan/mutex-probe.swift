// Does this toolchain's ThreadSanitizer see Synchronization.Mutex?
//
// Two threads increment one counter, each increment inside
// `Mutex.withLock`, then two more do the same under an `NSLock`. Each
// thread then reports that it is done under an NSLock, which the main thread
// takes before it reads the counters, so the final reads are ordered after
// every increment for anyone who models NSLock. Both counts come out exact.
// A ThreadSanitizer that models both locks reports nothing; one that does
// not see the Mutex (on Linux it is a futex driven by atomics, which the
// sanitizer does not treat as a lock) reports a race on the first counter
// only. This is why the code guards shared state with `Locked` (an NSLock)
// and `Scripts/sanitize` refuses a Mutex.
import Foundation
import Synchronization

final class Counter: @unchecked Sendable { var value = 0 }

let guarded = Counter()
let mutex = Mutex(())
let plain = Counter()
let nslock = NSLock()
let doneLock = NSLock()
nonisolated(unsafe) var done = 0
let rounds = 20_000

func spawn(_ body: @escaping @Sendable () -> Void) {
  Thread {
    body()
    doneLock.lock()
    done += 1
    doneLock.unlock()
  }.start()
}

for _ in 0..<2 { spawn { for _ in 0..<rounds { mutex.withLock { _ in guarded.value += 1 } } } }
for _ in 0..<2 {
  spawn {
    for _ in 0..<rounds {
      nslock.lock()
      plain.value += 1
      nslock.unlock()
    }
  }
}
while true {
  doneLock.lock()
  let finished = done
  doneLock.unlock()
  if finished == 4 { break }
  usleep(1000)
}
print("mutex counter \(guarded.value), NSLock counter \(plain.value), expected \(2 * rounds) each")
