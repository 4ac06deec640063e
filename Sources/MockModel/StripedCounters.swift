import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counters that many threads add to and a reader sums: each thread adds to its own stripe, so
/// the event loops never contend for one cache line (a shared atomic counter cost about 0.2 µs
/// per add when both event loops answered statements, which is what `bench/ab.py` measured for
/// five of them per statement).
///
/// A connection takes its thread's stripe once (`stripe()`, on its event loop) and adds to it
/// without looking it up again. Reads sum every stripe; they are exact once the adds they should
/// see have returned.
public final class StripedCounters: Sendable {
    /// One thread's counters.
    public final class Stripe: Sendable {
        fileprivate let counts: [Counter]

        fileprivate init(width: Int) {
            counts = (0..<width).map { _ in Counter() }
        }

        public func add(_ index: Int, _ n: Int = 1) {
            counts[index].add(n)
        }
    }

    public let width: Int
    private let stripes = Mutex<[UInt: Stripe]>([:])

    public init(width: Int) {
        self.width = width
    }

    /// The calling thread's stripe (made on first use).
    public func stripe() -> Stripe {
        #if canImport(Glibc)
        let thread = UInt(pthread_self())
        #else
        let thread = UInt(bitPattern: pthread_self())
        #endif
        return stripes.withLock { stripes in
            if let stripe = stripes[thread] { return stripe }
            let stripe = Stripe(width: width)
            stripes[thread] = stripe
            return stripe
        }
    }

    /// Counter `index` summed over every thread.
    public func total(_ index: Int) -> Int {
        stripes.withLock { $0.values.reduce(0) { $0 + $1.counts[index].value } }
    }

    /// Every counter summed over every thread.
    public func totals() -> [Int] {
        stripes.withLock { stripes in
            var sums = [Int](repeating: 0, count: width)
            for stripe in stripes.values {
                for index in 0..<width { sums[index] += stripe.counts[index].value }
            }
            return sums
        }
    }

    /// Every counter back to zero.
    public func reset() {
        stripes.withLock { stripes in
            for stripe in stripes.values {
                for counter in stripe.counts { counter.reset() }
            }
        }
    }
}

/// One counter of a stripe (an `Atomic` cannot be an array's element; a class holding one can).
/// Only its thread adds to it; readers on other threads load it.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)

    func add(_ n: Int) { atomic.add(n, ordering: .relaxed) }
    func reset() { atomic.store(0, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .relaxed) }
}
