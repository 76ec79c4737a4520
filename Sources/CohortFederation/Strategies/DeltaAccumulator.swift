/// The running aggregate of one round's model deltas Δᵢ = (local model − global model), fed
/// one at a time as sites report, so the round engine never holds a list of deltas.
///
/// It keeps Σ wᵢΔᵢ and Σ wᵢ in `Double` (a Float32 sum over hundreds of sites loses the
/// small deltas' low bits), and the round's mean is
///
///     Δ̄ = Σᵢ wᵢΔᵢ / Σᵢ wᵢ,   wᵢ = nᵢ (records) or 1 (uniform)
///
/// as in FedAvg (McMahan et al., AISTATS 2017, Algorithm 1). Memory is one `Double` per
/// parameter, whatever the number of sites. Only the robust strategies (coordinate-wise
/// median and trimmed mean, Yin et al., ICML 2018) need every delta at once; for them
/// `keepAll` also keeps a copy of each delta, costing one model per site.
///
/// Every delta is checked before it touches the sum: a wrong length or a non-finite value is
/// rejected with an error and leaves the accumulator unchanged.
public struct DeltaAccumulator: Sendable {
    /// The number of parameters in the model, the length of every delta.
    public let parameterCount: Int
    /// How deltas are weighted in the mean.
    public let weighting: Weighting
    /// Whether each delta is kept (for the robust strategies), not only their sum.
    public let keepsAll: Bool

    /// Σ wᵢΔᵢ, one entry per parameter.
    private(set) var weightedSum: [Double]
    /// Copies of the deltas, in arrival order, when `keepsAll`.
    private var kept: [[Float]]?

    /// The number of deltas added.
    public private(set) var count: Int = 0
    /// Σ wᵢ over the deltas added: the record total under `byRecords`, `count` under `uniform`.
    public private(set) var totalWeight: Double = 0
    /// Σ nᵢ, the records behind the deltas added (as reported, whatever the weighting).
    public private(set) var totalRecords: Int = 0

    /// An empty accumulator for deltas of `parameterCount` parameters.
    ///
    /// - Parameters:
    ///   - parameterCount: the model's parameter count (≥ 0).
    ///   - keepAll: keep every delta as well as the sum; only for strategies whose
    ///     `needsAllUpdates` is true, since it costs one model per site.
    ///   - weighting: wᵢ = records or 1.
    public init(parameterCount: Int, keepAll: Bool, weighting: Weighting) {
        precondition(parameterCount >= 0, "parameterCount must be ≥ 0, got \(parameterCount)")
        self.parameterCount = parameterCount
        self.weighting = weighting
        self.keepsAll = keepAll
        self.weightedSum = Array(repeating: 0, count: parameterCount)
        self.kept = keepAll ? [] : nil
    }

    /// Adds one site's delta: Σ wΔ += w·Δ, Σ w += w.
    ///
    /// - Parameters:
    ///   - delta: local model − global model, flat, in the model's parameter order.
    ///   - records: the site's example count nᵢ (the weight under `byRecords`).
    /// - Throws: `shapeMismatch` for a wrong length, `nonFiniteValue` for NaN or ±∞ (naming
    ///   the first bad index), `invalidRecordCount` for a bad count. On error nothing changes.
    public mutating func add(_ delta: [Float], records: Int) throws(StrategyError) {
        guard delta.count == parameterCount else {
            throw StrategyError(
                .shapeMismatch,
                "update \(count + 1) has \(delta.count) parameters, expected \(parameterCount)")
        }
        let weight = try weighting.weight(records: records)
        if let bad = delta.firstIndex(where: { !$0.isFinite }) {
            throw StrategyError(
                .nonFiniteValue, "update \(count + 1) has a non-finite value \(delta[bad]) at parameter \(bad)")
        }
        weightedSum.withUnsafeMutableBufferPointer { sum in
            delta.withUnsafeBufferPointer { d in
                for i in 0..<sum.count {
                    sum[i] += weight * Double(d[i])
                }
            }
        }
        kept?.append(delta)
        count += 1
        totalWeight += weight
        totalRecords += records
    }

    /// The round's mean delta Δ̄ = Σ wᵢΔᵢ / Σ wᵢ, rounded to `Float`; all zeros when no delta
    /// was added (strategies refuse an empty round before asking for it).
    public func weightedMean() -> [Float] {
        guard totalWeight > 0 else { return Array(repeating: 0, count: parameterCount) }
        let scale = 1 / totalWeight
        return weightedSum.map { Float($0 * scale) }
    }

    /// Every delta added, in arrival order, when built with `keepAll: true`; otherwise `nil`
    /// (the streaming case: deltas were summed and dropped).
    public var all: [[Float]]? { kept }

    /// Calls `body` with Σ wᵢΔᵢ and 1/Σ wᵢ, so a strategy forms Δ̄ᵢ = sum[i]·scale in `Double`
    /// without copying the sum. Callers check `count > 0` first.
    func withWeightedSum<R>(_ body: (UnsafeBufferPointer<Double>, _ scale: Double) -> R) -> R {
        let scale = 1 / totalWeight
        return weightedSum.withUnsafeBufferPointer { body($0, scale) }
    }
}
