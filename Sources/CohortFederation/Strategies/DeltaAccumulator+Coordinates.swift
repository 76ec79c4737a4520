extension DeltaAccumulator {
    /// For each parameter j, gathers the kept deltas' values Δ₁[j] … Δₘ[j], sorts them
    /// ascending into one reused scratch buffer, and stores x[j] += rate · `statistic`(sorted).
    ///
    /// The coordinate-wise order statistics of Yin, Chen, Ramchandran, Bartlett
    /// ("Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates", ICML 2018,
    /// Definitions 1 and 2) work on these per-coordinate samples. Costs O(d · m log m) time and
    /// m floats of scratch beyond the kept deltas. Callers have run `checkRound`, so the deltas
    /// are kept, non-empty and of the global model's length.
    func applyCoordinateStatistic(
        scaledBy rate: Double, to global: inout [Float],
        _ statistic: (UnsafeMutableBufferPointer<Float>) -> Double
    ) {
        guard let deltas = all, !deltas.isEmpty else { return }
        var scratch = [Float](repeating: 0, count: deltas.count)
        scratch.withUnsafeMutableBufferPointer { values in
            global.withUnsafeMutableBufferPointer { x in
                for j in 0..<x.count {
                    for (i, delta) in deltas.enumerated() {
                        values[i] = delta[j]
                    }
                    values.sort()
                    x[j] = Float(Double(x[j]) + rate * statistic(values))
                }
            }
        }
    }
}
