import Foundation

/// Measurements of the BLAS this process runs, for `cohort doctor` and the benchmarks.
public enum BLASDiagnostics {
    /// Seconds on a monotonic clock.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Runs `body` `repetitions` times after `warmup` runs and returns the median seconds.
    public static func medianSeconds(warmup: Int = 2, repetitions: Int = 7, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times = [Double]()
        for _ in 0..<max(repetitions, 1) {
            let start = now()
            body()
            times.append(now() - start)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// GFLOP/s of `Tensor.gemm` on n×n Float32 matrices (2n³ flops a call), the median
    /// over several timed calls after a warm-up. Each timed sample repeats the call until
    /// it lasts at least ~20 ms, so small sizes are not lost in clock resolution.
    public static func sgemmGFLOPS(size n: Int, repetitions: Int = 7) -> Double {
        var generator = SeededGenerator(seed: 512)
        let a = Tensor<Float>.randomUniform([n, n], in: -1..<1, using: &generator)
        let b = Tensor<Float>.randomUniform([n, n], in: -1..<1, using: &generator)
        var c = Tensor<Float>.zeros([n, n])
        let flops = 2.0 * Double(n) * Double(n) * Double(n)
        let callsPerSample = max(1, Int(0.02 / max(flops / 100e9, 1e-7)))
        let seconds = medianSeconds(warmup: 2, repetitions: repetitions) {
            for _ in 0..<callsPerSample { Tensor.gemm(a, b, into: &c) }
        }
        return flops * Double(callsPerSample) / seconds / 1e9
    }
}
