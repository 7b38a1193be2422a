import Dispatch

/// Milliseconds elapsed since `start` (monotonic clock), for the per-stage timings Loom reports.
public func millisecondsSince(_ start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
}
